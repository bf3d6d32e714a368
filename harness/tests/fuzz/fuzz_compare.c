/* libFuzzer: the readers of `falsify compare` (machine.csv and
 * hypotheses.csv of two results folders).  The input is split at its
 * first NUL byte: machine.csv, then hypotheses.csv; both folders get the
 * same files; every output format is written. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../compare.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t m = nul ? (size_t)(nul - data) : size;
    size_t h = nul ? size - m - 1 : 0;
    char path[512], dir[512];
    if (!fk_fuzz_file("machine.csv", data, m, path, sizeof path) ||
        !fk_fuzz_file("hypotheses.csv", nul ? nul + 1 : data, h, path, sizeof path))
        return 0;
    fk_fuzz_dir(dir, sizeof dir);
    FILE *out = fopen("/dev/null", "w");
    if (!out)
        return 0;
    char *dirs[2] = {dir, dir};
    /* messages about bad input are not the point: crashes, leaks and UB are;
     * each format walks the rows its own way (csv/json long, md wide) */
    fk_compare(2, dirs, out, out);
    fk_compare_format(2, dirs, FK_OUT_JSON, out, out);
    fk_compare_format(2, dirs, FK_OUT_MD, out, out);
    fclose(out);
    return 0;
}
