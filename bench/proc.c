/* proc.c - the server's CPU time and memory from /proc, clocks of this process. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define PROC_FILE_MAX 8192

/* Reads /proc/<pid>/<name> into buf (NUL-terminated). */
static int read_proc(pid_t pid, const char *name, char *buf, size_t cap, struct error *err)
{
	char path[64];
	size_t len = 0;
	ssize_t r;
	int fd;

	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/%s", name);
	else
		snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, ERR_IO, "open %s: %s", path, strerror(errno));
	while (len + 1 < cap && (r = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)r;
	close(fd);
	buf[len] = '\0';
	if (len == 0)
		return err_set(err, ERR_IO, "read %s: empty", path);
	return 0;
}

int proc_cpu_ticks(pid_t pid, uint64_t *user, uint64_t *sys, struct error *err)
{
	char buf[PROC_FILE_MAX], *p;
	unsigned long long ut, st;

	if (read_proc(pid, "stat", buf, sizeof(buf), err) != 0)
		return -1;
	/* comm may hold spaces and parentheses: the fields start after the last ')'. Then
	 * state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime(14)
	 * stime(15). */
	p = strrchr(buf, ')');
	if (p == NULL ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return err_set(err, ERR_IO, "cannot parse /proc/%ld/stat", (long)pid);
	*user = ut;
	*sys = st;
	return 0;
}

/* The parent of pid from /proc/<pid>/stat, or -1. */
static pid_t proc_ppid(pid_t pid)
{
	char buf[PROC_FILE_MAX], *p;
	long ppid;

	if (read_proc(pid, "stat", buf, sizeof(buf), NULL) != 0 ||
	    (p = strrchr(buf, ')')) == NULL || sscanf(p + 1, " %*c %ld", &ppid) != 1)
		return -1;
	return (pid_t)ppid;
}

int proc_tree_cpu_ticks(pid_t pid, uint64_t *ticks, struct error *err)
{
	uint64_t u, s, sum;
	DIR *d;
	struct dirent *e;

	if (proc_cpu_ticks(pid, &u, &s, err) != 0)
		return -1;
	sum = u + s;
	d = opendir("/proc");
	if (d == NULL)
		return err_set(err, ERR_IO, "opendir /proc: %s", strerror(errno));
	while ((e = readdir(d)) != NULL) {
		char *end;
		long child = strtol(e->d_name, &end, 10);

		/* A child that exits between the two reads is simply not counted. */
		if (*end != '\0' || child <= 0 || proc_ppid((pid_t)child) != pid ||
		    proc_cpu_ticks((pid_t)child, &u, &s, NULL) != 0)
			continue;
		sum += u + s;
	}
	closedir(d);
	*ticks = sum;
	return 0;
}

int proc_mem_kb(pid_t pid, long *rss_kb, long *hwm_kb, struct error *err)
{
	char buf[PROC_FILE_MAX], *p;

	if (read_proc(pid, "status", buf, sizeof(buf), err) != 0)
		return -1;
	p = strstr(buf, "\nVmRSS:");
	if (p == NULL || sscanf(p + 7, "%ld", rss_kb) != 1)
		return err_set(err, ERR_IO, "no VmRSS in /proc/%ld/status", (long)pid);
	p = strstr(buf, "\nVmHWM:");
	if (p == NULL || sscanf(p + 7, "%ld", hwm_kb) != 1)
		return err_set(err, ERR_IO, "no VmHWM in /proc/%ld/status", (long)pid);
	return 0;
}

bool proc_alive(pid_t pid)
{
	char buf[PROC_FILE_MAX], *p;

	if (read_proc(pid, "stat", buf, sizeof(buf), NULL) != 0)
		return false;
	p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

int proc_system_cpu(uint64_t *busy, uint64_t *steal, struct error *err)
{
	char buf[PROC_FILE_MAX];
	unsigned long long v[8] = {0};

	if (read_proc(0, "stat", buf, sizeof(buf), err) != 0)
		return -1;
	/* cpu  user nice system idle iowait irq softirq steal ... (all CPUs, in ticks) */
	if (strncmp(buf, "cpu ", 4) != 0 ||
	    sscanf(buf + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]) != 8)
		return err_set(err, ERR_IO, "cannot parse /proc/stat");
	*busy = v[0] + v[1] + v[2] + v[5] + v[6];
	*steal = v[7];
	return 0;
}

int proc_reset_hwm(pid_t pid)
{
	char path[64];
	int fd, rc;

	snprintf(path, sizeof(path), "/proc/%ld/clear_refs", (long)pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = write(fd, "5", 1) == 1 ? 0 : -1;
	close(fd);
	return rc;
}

int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t self_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
