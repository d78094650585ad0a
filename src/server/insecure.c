/* insecure.c - the plain-HTTP listener of ca.json's insecureAddress.
 *
 * As step-ca, stride-ca listens there only when insecureAddress is set and a feature served
 * there is on (the CRL). The listener is one more worker (worker.c) without TLS: same event
 * loop, evhttp limits and graceful stop as the others, and the same dispatcher, which answers
 * only the routes marked insecure in the route table (router.c) and 404 "page not found" for
 * every other path, as step-ca's insecure router does. Its connections are not counted in
 * limits.maxConnections and have only evhttp's inactivity timeout.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "base/str.h"
#include "server/internal.h"
#include "server/server.h"

bool insecure_listener_wanted(const struct ca_config *cfg)
{
	return cfg->insecure_address != NULL && cfg->insecure_address[0] != '\0' &&
	       (cfg->crl.enabled || cfg->ocsp.enabled);
}

int insecure_listener_add(struct server *s, struct error *err)
{
	const struct ca_config *cfg = authority_config(s->a);
	struct worker *w = &s->workers[s->nworkers]; /* server_new keeps one slot for it */
	struct sockaddr_storage ss, got;
	socklen_t sslen = 0, glen = sizeof(got);
	char *host = NULL, *port = NULL, *bound = NULL;
	int probe = -1, rc = -1;

	if (!insecure_listener_wanted(cfg))
		return 0;
	if (server_split_address(cfg->insecure_address, &host, &port, err) != 0 ||
	    address_resolve(host, port, &ss, &sslen, err) != 0)
		goto out;
	/* as for the TLS address: fail when the port is taken, learn the port of ":0" */
	if (address_open_socket(&ss, sslen, false, &probe, err) != 0)
		goto out;
	if (getsockname(probe, (struct sockaddr *)&got, &glen) != 0) {
		err_set(err, ERR_IO, "cannot read the listening port: %s", strerror(errno));
		goto out;
	}
	address_set_port(&ss, address_get_port(&got));
	close(probe);
	probe = -1;
	w->index = s->nworkers;
	w->plain = true;
	s->nworkers++; /* from here the server's lifecycle includes it */
	if (worker_init(s, w, &ss, sslen, err) != 0)
		goto out;
	bound = address_format(&ss, sslen);
	log_msg(LOG_INFO, "serving plain HTTP", "address", bound, NULL);
	rc = 0;
out:
	if (probe >= 0)
		close(probe);
	free(bound);
	free(host);
	free(port);
	return rc;
}
