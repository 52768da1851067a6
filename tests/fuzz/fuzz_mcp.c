/* Fuzz the MCP JSON-RPC request parser and the labels reader: arbitrary bytes from a hostile agent. */
#include <stddef.h>
#include <stdint.h>

#include "core/labels.h"
#include "workloads/toolcall/mcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct omega_mcp_request r;
    struct omega_error err = {0};
    if (omega_mcp_parse(&r, (const char *)data, size, &err) == 0)
        omega_mcp_request_fini(&r);
    json_t *j = json_loadb((const char *)data, size, 0, NULL);
    if (j) {
        struct omega_labels l, acc;
        omega_labels_init(&acc);
        if (omega_labels_from_json(&l, j, NULL) == 0 && omega_labels_join(&acc, &l) == 0) {
            json_t *back = omega_labels_to_json(&acc);
            json_decref(back);
        }
        json_decref(j);
    }
    return 0;
}
