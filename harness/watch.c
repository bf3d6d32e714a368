/* The watch on in-process plugin calls (see watch.h). */
#include "watch.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"
#include "timing.h"

/* ---- the record of the call in progress ----
 * Process-wide: a fault may hit any pool thread and the watchdog is a
 * thread of its own, so neither can be handed a context.  Written by the
 * thread that starts each call (the pool runs one call at a time), read by
 * the handlers; t0_ns is stored last (release) and cleared on leave. */
static struct {
    _Atomic(const char *) plugin, op;
    atomic_int layer, pos, npos;
    atomic_uint_fast64_t t0_ns, deadline_ns;
    atomic_int running;
    int emulated;
    double fixed_deadline_s;   /* FALSIFY_CALL_DEADLINE_S, 0: from the cost */
    pthread_t dog;
    atomic_int stop;
} W;

static const int fault_sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP};
enum { NFAULT = sizeof fault_sigs / sizeof fault_sigs[0] };
static struct sigaction old_actions[NFAULT];

static size_t put(char *b, size_t at, size_t cap, const char *s) { return fk_put_str(b, at, cap, s ? s : "?"); }

static size_t put_int(char *b, size_t at, size_t cap, int64_t v) { return fk_put_u64(b, at, cap, v < 0 ? 0 : (uint64_t)v); }

static const char *sig_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV, invalid memory access";
    case SIGBUS: return "SIGBUS, bus error";
    case SIGILL: return "SIGILL, illegal instruction";
    case SIGFPE: return "SIGFPE, arithmetic fault";
    case SIGABRT: return "SIGABRT, abort (an assertion?)";
    case SIGTRAP: return "SIGTRAP, trap";
    default: return "signal";
    }
}

/* "plugin P (op O, layer L, position N)" of the call in progress. */
static size_t put_call(char *b, size_t at, size_t cap)
{
    at = put(b, at, cap, "plugin ");
    at = put(b, at, cap, atomic_load(&W.plugin));
    at = put(b, at, cap, " (op ");
    at = put(b, at, cap, atomic_load(&W.op));
    const int layer = atomic_load(&W.layer), pos = atomic_load(&W.pos);
    if (layer >= 0) {
        at = put(b, at, cap, ", layer ");
        at = put_int(b, at, cap, layer);
    }
    if (pos >= 0) {
        const int npos = atomic_load(&W.npos);
        at = put(b, at, cap, npos > 1 ? ", positions " : ", position ");
        at = put_int(b, at, cap, pos);
        if (npos > 1) {
            at = put(b, at, cap, "..");
            at = put_int(b, at, cap, pos + npos - 1);
        }
    }
    return put(b, at, cap, ")");
}

static void on_fault(int sig)
{
    /* pool threads running the same plugin fault together: the first
     * reports and exits, the others wait for that exit */
    static atomic_flag reporting = ATOMIC_FLAG_INIT;
    if (atomic_flag_test_and_set(&reporting))
        for (;;)
            pause();
    char b[512];
    size_t at = put(b, 0, sizeof b, "falsify: ");
    if (atomic_load(&W.t0_ns)) {
        at = put_call(b, at, sizeof b);
        at = put(b, at, sizeof b, " crashed: ");
        at = put(b, at, sizeof b, sig_name(sig));
        at = put(b, at, sizeof b, "; the run stops here (exit 1)\n");
        ssize_t w = write(2, b, at);
        (void)w;
        _exit(FK_WATCH_EXIT);
    }
    /* not in a plugin call: a fault of the harness itself; die of it */
    at = put(b, at, sizeof b, "fault outside any plugin call: ");
    at = put(b, at, sizeof b, sig_name(sig));
    at = put(b, at, sizeof b, "\n");
    ssize_t w = write(2, b, at);
    (void)w;
    signal(sig, SIG_DFL);
    raise(sig);
}

static void *watchdog(void *arg)
{
    (void)arg;
    const struct timespec tick = {0, 50 * 1000 * 1000};
    while (!atomic_load(&W.stop)) {
        nanosleep(&tick, NULL);
        const uint64_t t0 = atomic_load_explicit(&W.t0_ns, memory_order_acquire);
        const uint64_t lim = atomic_load(&W.deadline_ns);
        if (!t0 || fk_now_ns() - t0 <= lim)
            continue;
        char b[512];
        size_t at = put(b, 0, sizeof b, "falsify: ");
        at = put_call(b, at, sizeof b);
        at = put(b, at, sizeof b, " did not return within its deadline of ");
        at = put_int(b, at, sizeof b, (int64_t)(lim / 1000000000u));
        at = put(b, at, sizeof b, " s: a hang; the run stops here (exit 1)\n");
        fflush(stdout);  /* the main thread is inside the plugin, not in stdio */
        ssize_t w = write(2, b, at);
        (void)w;
        _exit(FK_WATCH_EXIT);
    }
    return NULL;
}

int fk_watch_start(int emulated, struct fk_err *e)
{
    if (atomic_load(&W.running))
        return fk_fail(e, "watch: already running");
    W.emulated = emulated;
    W.fixed_deadline_s = 0;
    const char *env = getenv("FALSIFY_CALL_DEADLINE_S");
    if (env && *env) {
        char *end;
        const double s = strtod(env, &end);
        if (*end || !(s > 0 && s <= FK_JOB_HARD_CAP_S))
            return fk_fail(e, "FALSIFY_CALL_DEADLINE_S='%s': not a number of seconds in (0, %.0f]", env,
                           FK_JOB_HARD_CAP_S);
        W.fixed_deadline_s = s;
    }
    atomic_store(&W.t0_ns, 0);
    atomic_store(&W.stop, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fault;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    for (int i = 0; i < NFAULT; i++)
        sigaction(fault_sigs[i], &sa, &old_actions[i]);
    if (pthread_create(&W.dog, NULL, watchdog, NULL) != 0) {
        for (int i = 0; i < NFAULT; i++)
            sigaction(fault_sigs[i], &old_actions[i], NULL);
        return fk_fail(e, "watch: cannot start the watchdog thread");
    }
    atomic_store(&W.running, 1);
    return 0;
}

void fk_watch_stop(void)
{
    if (!atomic_load(&W.running))
        return;
    atomic_store(&W.stop, 1);
    pthread_join(W.dog, NULL);
    for (int i = 0; i < NFAULT; i++)
        sigaction(fault_sigs[i], &old_actions[i], NULL);
    atomic_store(&W.t0_ns, 0);
    atomic_store(&W.running, 0);
}

void fk_watch_enter(const char *plugin, const char *op, int layer, int pos, int npos, double ops)
{
    if (!atomic_load_explicit(&W.running, memory_order_relaxed))
        return;
    const double s = W.fixed_deadline_s > 0 ? W.fixed_deadline_s : fk_job_deadline(ops, 0, W.emulated);
    atomic_store_explicit(&W.plugin, plugin, memory_order_relaxed);
    atomic_store_explicit(&W.op, op, memory_order_relaxed);
    atomic_store_explicit(&W.layer, layer, memory_order_relaxed);
    atomic_store_explicit(&W.pos, pos, memory_order_relaxed);
    atomic_store_explicit(&W.npos, npos, memory_order_relaxed);
    atomic_store_explicit(&W.deadline_ns, (uint_fast64_t)(s * 1e9), memory_order_relaxed);
    atomic_store_explicit(&W.t0_ns, fk_now_ns(), memory_order_release);
}

void fk_watch_leave(void)
{
    atomic_store_explicit(&W.t0_ns, 0, memory_order_release);
}
