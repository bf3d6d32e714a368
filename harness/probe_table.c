/* The probes compiled into this build, best ISA last. */
#include "probe.h"

int fk_probes(const struct fk_probe **out, int max)
{
    const struct fk_probe *all[] = {
        fk_probe_generic(),
#if defined(__x86_64__)
        fk_probe_avx2(),
        fk_probe_avx512(),
        fk_probe_avx512vnni(),
#endif
    };
    int n = 0;
    for (unsigned i = 0; i < sizeof all / sizeof all[0] && n < max; i++)
        out[n++] = all[i];
    return n;
}
