/* Progress on stderr and colour on stdout.
 *
 * On a terminal (stderr a TTY, not --quiet) one live line is redrawn in
 * place: "[12/85] time H1-simd-gemv: gemv.f32.avx2 vs gemv.f32.scalar at
 * 2048x2048  0:31 elapsed, ETA 1:05".  Piped, each finished job is one plain
 * line with the same [i/N] prefix, no escape codes.  Colour (verdict words
 * in tables and the summary) follows --color=auto|always|never; auto means
 * stdout is a terminal, TERM is not "dumb" and NO_COLOR is unset or empty
 * (https://no-color.org). */
#ifndef FK_PROGRESS_H
#define FK_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

enum fk_color_mode { FK_COLOR_AUTO = 0, FK_COLOR_ALWAYS, FK_COLOR_NEVER };

/* "auto" | "always" | "never": 0, or -1. */
int fk_color_parse(const char *s, enum fk_color_mode *m);
/* Whether to colour what goes to stream fd under mode m. */
int fk_color_wanted(enum fk_color_mode m, int fd);

struct fk_progress {
    int live;            /* redraw one line in place (stderr is a TTY) */
    int plain;           /* one line per finished job */
    int total, done;     /* jobs planned, finished */
    int n_kind[2];       /* planned per kind: 0 correctness, 1 timed */
    int d_kind[2];       /* finished per kind */
    double s_kind[2];    /* seconds spent per kind */
    double guess_timed_s;/* a timed job's expected seconds before one has run */
    uint64_t t0_ns, job_t0_ns;
    int cur_kind;
    char cur[256];       /* the job now running */
    int shown;           /* a live line is on screen */
};

/* quiet: neither live nor plain lines. */
void fk_progress_init(struct fk_progress *p, int quiet);
/* Plans ncorrect correctness jobs and ntimed timed ones (adds to the plan). */
void fk_progress_plan(struct fk_progress *p, int ncorrect, int ntimed, double timed_guess_s);
/* A job starts: kind 0 correctness ("check"), 1 timed ("time"). */
void fk_progress_begin(struct fk_progress *p, int kind, const char *what);
/* It finished with result ("ok", "SUPPORTED", a failure note). */
void fk_progress_end(struct fk_progress *p, const char *result);
/* A planned job that will not run (untestable before timing). */
void fk_progress_skip(struct fk_progress *p, int kind);
/* A message line that must not be torn by the live line. */
void fk_progress_note(struct fk_progress *p, const char *line);
/* Clears the live line. */
void fk_progress_finish(struct fk_progress *p);
/* Takes the live line off the screen before another process writes to
 * stderr (the oracle); the next begin, end or note draws it again. */
void fk_progress_hold(struct fk_progress *p);
double fk_progress_elapsed_s(const struct fk_progress *p);

/* "1:05" or "1:02:03". */
void fk_fmt_duration(char *buf, size_t n, double s);


struct fk_run;
/* Closing summary of a check run: verdict counts (one per hypothesis and
 * kernel), guards FALSIFIED, kernels wrong, UNTESTABLE grouped by reason,
 * wall time. */
void fk_summary_print(FILE *f, const struct fk_run *run, double wall_s, int color);

#endif
