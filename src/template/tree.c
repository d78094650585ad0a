/* tree.c - freeing parse trees and parsed templates. */
#include <stdlib.h>

#include "template/template.h"
#include "template/tpl_internal.h"

void tpl_node_free(struct node *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		tpl_node_free(n->kids[i]);
	free(n->kids);
	for (size_t i = 0; i < n->nnames; i++)
		free(n->names[i]);
	free(n->names);
	free(n->str);
	free(n->decl[0]);
	free(n->decl[1]);
	tpl_node_free(n->pipe);
	tpl_node_free(n->list);
	tpl_node_free(n->else_list);
	tpl_node_free(n->base);
	free(n);
}

void tpl_free(struct tpl *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->ndefs; i++) {
		free(t->defs[i].name);
		tpl_node_free(t->defs[i].root);
	}
	free(t->defs);
	free(t->name);
	free(t->src);
	free(t);
}
