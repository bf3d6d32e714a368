#include "progress.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "timing.h"

int fk_color_parse(const char *s, enum fk_color_mode *m)
{
    if (!strcmp(s, "auto"))
        *m = FK_COLOR_AUTO;
    else if (!strcmp(s, "always"))
        *m = FK_COLOR_ALWAYS;
    else if (!strcmp(s, "never"))
        *m = FK_COLOR_NEVER;
    else
        return -1;
    return 0;
}

int fk_color_wanted(enum fk_color_mode m, int fd)
{
    if (m != FK_COLOR_AUTO)
        return m == FK_COLOR_ALWAYS;
    const char *no = getenv("NO_COLOR");
    const char *term = getenv("TERM");
    if ((no && no[0]) || (term && !strcmp(term, "dumb")))
        return 0;
    return isatty(fd);
}

void fk_fmt_duration(char *buf, size_t n, double s)
{
    if (!(s >= 0))
        s = 0;
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

void fk_progress_init(struct fk_progress *p, int quiet)
{
    memset(p, 0, sizeof *p);
    const char *term = getenv("TERM");
    p->live = !quiet && isatty(2) && !(term && !strcmp(term, "dumb"));
    p->plain = !quiet && !p->live;
    p->t0_ns = fk_now_ns();
    p->guess_timed_s = 3;
}

double fk_progress_elapsed_s(const struct fk_progress *p)
{
    return (double)(fk_now_ns() - p->t0_ns) * 1e-9;
}

void fk_progress_plan(struct fk_progress *p, int ncorrect, int ntimed, double timed_guess_s)
{
    p->n_kind[0] += ncorrect;
    p->n_kind[1] += ntimed;
    p->total += ncorrect + ntimed;
    if (timed_guess_s > 0)
        p->guess_timed_s = timed_guess_s;
}

/* Remaining seconds: each kind's jobs left at that kind's mean so far
 * (a timed job before any ran: guess_timed_s; correctness: 0.3 s). */
static double eta_s(const struct fk_progress *p)
{
    double eta = 0;
    for (int k = 0; k < 2; k++) {
        int left = p->n_kind[k] - p->d_kind[k];
        if (left <= 0)
            continue;
        double mean = p->d_kind[k] ? p->s_kind[k] / p->d_kind[k] : k ? p->guess_timed_s : 0.3;
        eta += left * mean;
    }
    return eta;
}

static void clear_line(struct fk_progress *p)
{
    if (p->shown) {
        fputs("\r\033[K", stderr);
        p->shown = 0;
    }
}

static void draw(struct fk_progress *p)
{
    if (!p->live)
        return;
    char el[32], eta[32];
    fk_fmt_duration(el, sizeof el, fk_progress_elapsed_s(p));
    fk_fmt_duration(eta, sizeof eta, eta_s(p));
    /* fit one terminal line: the job text is cut, never wrapped */
    char line[512];
    int n = snprintf(line, sizeof line, "[%d/%d] %s", p->done + 1 > p->total ? p->total : p->done + 1, p->total,
                     p->cur);
    char tail[96];
    snprintf(tail, sizeof tail, "  %s elapsed, ETA %s", el, eta);
    int width = 100;
    const char *cols = getenv("COLUMNS");
    if (cols && atoi(cols) > 20)
        width = atoi(cols);
    int room = width - 1 - (int)strlen(tail);
    if (room < 10)
        room = 10;
    if (n > room && room < (int)sizeof line) {
        line[room - 3] = 0;
        strcat(line, "...");
    }
    fprintf(stderr, "\r\033[K%s%s", line, tail);
    fflush(stderr);
    p->shown = 1;
}

void fk_progress_begin(struct fk_progress *p, int kind, const char *what)
{
    p->cur_kind = kind ? 1 : 0;
    snprintf(p->cur, sizeof p->cur, "%s %s", kind ? "time " : "check", what);
    p->job_t0_ns = fk_now_ns();
    if (p->total < p->done + 1)
        p->total = p->done + 1;   /* more jobs than planned: the plan grows */
    draw(p);
}

void fk_progress_end(struct fk_progress *p, const char *result)
{
    double s = (double)(fk_now_ns() - p->job_t0_ns) * 1e-9;
    p->s_kind[p->cur_kind] += s;
    p->d_kind[p->cur_kind]++;
    p->done++;
    if (p->plain) {
        fprintf(stderr, "[%d/%d] %s: %s\n", p->done, p->total, p->cur, result ? result : "done");
    } else if (p->live && result && strcmp(result, "ok") != 0 && p->cur_kind == 0) {
        /* a failed correctness job stays on screen above the live line */
        clear_line(p);
        fprintf(stderr, "[%d/%d] %s: %s\n", p->done, p->total, p->cur, result);
    }
    draw(p);
}

void fk_progress_skip(struct fk_progress *p, int kind)
{
    int k = kind ? 1 : 0;
    if (p->n_kind[k] > p->d_kind[k]) {
        p->n_kind[k]--;
        p->total--;
    }
}

void fk_progress_note(struct fk_progress *p, const char *line)
{
    clear_line(p);
    fprintf(stderr, "%s\n", line);
    if (p->live && p->cur[0])
        draw(p);
}

void fk_progress_hold(struct fk_progress *p)
{
    clear_line(p);
    fflush(stderr);
}

void fk_progress_finish(struct fk_progress *p)
{
    clear_line(p);
    p->cur[0] = 0;
    fflush(stderr);
}

/* ---- closing summary ---- */

#include "check.h"

/* The reason an UNTESTABLE verdict gives, without the shape and kernel
 * prefixes and the details after the first ':' or ';'. */
static void reason_key(const char *reason, const char *kernel, char *out, size_t n)
{
    const char *r = reason;
    if (!strncmp(r, "at ", 3) && strstr(r, ": "))
        r = strstr(r, ": ") + 2;
    size_t kl = strlen(kernel);
    if (kl && !strncmp(r, kernel, kl) && !strncmp(r + kl, ": ", 2))
        r += kl + 2;
    size_t len = strcspn(r, ";(");
    if (!strncmp(r, "baseline ", 9) || !strncmp(r, "not timed", 9))
        len = strcspn(r, ";");
    while (len && r[len - 1] == ' ')
        len--;
    if (len == 0) {
        r = "no reason given";
        len = strlen(r);
    }
    snprintf(out, n, "%.*s", (int)(len < n - 1 ? len : n - 1), r);
}

void fk_summary_print(FILE *f, const struct fk_run *run, double wall_s, int color)
{
    int count[4] = {0, 0, 0, 0}, total = 0;
    char keys[32][96];
    int kn[32], nkeys = 0, other = 0;
    for (int i = 0; i < run->nh; i++) {
        const struct fk_hrow *r = &run->h[i];
        if (!r->aggregate)
            continue;
        total++;
        if (r->verdict >= FK_SUPPORTED && r->verdict <= FK_UNTESTABLE)
            count[r->verdict]++;
        if (r->verdict != FK_UNTESTABLE)
            continue;
        char k[96];
        reason_key(r->reason, r->kernel, k, sizeof k);
        int j = 0;
        while (j < nkeys && strcmp(keys[j], k) != 0)
            j++;
        if (j == nkeys) {
            if (nkeys == 32) {
                other++;
                continue;
            }
            snprintf(keys[nkeys], sizeof keys[nkeys], "%s", k);
            kn[nkeys++] = 0;
        }
        kn[j]++;
    }
    static const char *const col[4] = {"\033[32m", "\033[1;31m", "\033[33m", "\033[2m"};
    char wall[32];
    fk_fmt_duration(wall, sizeof wall, wall_s);
    fprintf(f, "\nsummary: %d verdicts:", total);
    for (int v = 0; v < 4; v++)
        fprintf(f, "%s %s%d %s%s", v ? "," : "", color && count[v] ? col[v] : "", count[v],
                fk_verdict_name((enum fk_verdict)v), color && count[v] ? "\033[0m" : "");
    fprintf(f, "\n  guards FALSIFIED: %s%d%s   kernels wrong or crashed: %s%d%s   wall time %s\n",
            color && run->guard_falsified ? col[1] : "", run->guard_falsified,
            color && run->guard_falsified ? "\033[0m" : "", color && run->kernel_failures ? col[1] : "",
            run->kernel_failures, color && run->kernel_failures ? "\033[0m" : "", wall);
    if (run->timed_jobs) {
        char tw[32];
        fk_fmt_duration(tw, sizeof tw, run->timed_wall_s);
        double w = run->timed_wall_s > 0 ? run->timed_wall_s : 1;
        fprintf(f, "  timing: %d comparisons", run->timed_jobs);
        if (run->timed_shared)
            fprintf(f, " (+%d judged from an identical one)", run->timed_shared);
        double rest = w - run->timed_phase_s[0] - run->timed_phase_s[1] - run->timed_phase_s[2];
        fprintf(f, ", %d replicates, %s: set-up %.0f%%, calibration and first check %.0f%%, sampling %.0f%%, "
                "last check and exit %.0f%%\n", run->timed_reps, tw, 100 * run->timed_phase_s[0] / w,
                100 * run->timed_phase_s[1] / w, 100 * run->timed_phase_s[2] / w, 100 * (rest > 0 ? rest : 0) / w);
    }
    if (nkeys)
        fprintf(f, "  UNTESTABLE by reason:\n");
    for (int j = 0; j < nkeys; j++)
        fprintf(f, "    %3d  %s\n", kn[j], keys[j]);
    if (other)
        fprintf(f, "    %3d  other reasons (see the table)\n", other);
}
