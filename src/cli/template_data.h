/* template_data.h - the --set and --set-file flags: data for certificate templates. */
#ifndef STRIDE_CLI_TEMPLATE_DATA_H
#define STRIDE_CLI_TEMPLATE_DATA_H

#include <jansson.h>

#include "base/error.h"
#include "cli/command.h"

/* step's GetTemplateData: the JSON object of --set-file, then each --set key=value (the value
 * decoded as JSON when it is valid JSON, else kept as a string). *out is NULL when neither flag
 * gives anything, or when the command has no such flags. A --set without '=' -> "invalid value
 * '<v>' for flag '--set'". */
int cli_template_data(const struct cli_ctx *ctx, json_t **out, struct error *err);

#endif
