/* Shared by the libFuzzer targets: the readers under test take paths, so
 * each input is written to a file of this process first. */
#ifndef FK_FUZZ_INPUT_H
#define FK_FUZZ_INPUT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes data[0..size) to dir/name (dir created once per process under
 * $TMPDIR); returns the path in buf, or NULL. */
static inline const char *fk_fuzz_file(const char *name, const uint8_t *data, size_t size, char *buf, size_t n)
{
    static char dir[256];
    if (!dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/falsify-fuzz-%ld", t && *t ? t : "/tmp", (long)getpid());
        mkdir(dir, 0700);
    }
    snprintf(buf, n, "%s/%s", dir, name);
    FILE *f = fopen(buf, "wb");
    if (!f)
        return NULL;
    if (size && fwrite(data, 1, size, f) != size) {
        fclose(f);
        return NULL;
    }
    fclose(f);
    return buf;
}

/* The directory fk_fuzz_file writes into. */
static inline const char *fk_fuzz_dir(char *buf, size_t n)
{
    char p[512];
    fk_fuzz_file(".probe", (const uint8_t *)"", 0, p, sizeof p);
    snprintf(buf, n, "%s", p);
    char *slash = strrchr(buf, '/');
    if (slash)
        *slash = 0;
    return buf;
}

#endif
