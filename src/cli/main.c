/* main.c - the stride CLI: everything happens in the command tree (command.c). */
#include "cli/command.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
