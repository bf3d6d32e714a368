/* libFuzzer: the hypothesis file parser (inih + our key rules). */
#include <stdint.h>
#include <stdlib.h>

#include "../../hypo.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512];
    if (!fk_fuzz_file("h.ini", data, size, path, sizeof path))
        return 0;
    struct fk_hypo *h = NULL;
    int n = 0;
    struct fk_err e;
    if (fk_hypo_parse_file(path, &h, &n, &e) == 0)
        free(h);
    return 0;
}
