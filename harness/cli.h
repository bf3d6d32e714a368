/* The command line: `falsify VERB [options] [arguments]`, parsed with
 * getopt_long (--opt=value and --opt value, unique prefixes).  Each verb
 * declares the options it takes in one table (cli.c); an option another
 * verb takes is an error naming this verb, and so is an argument a verb
 * does not take.  `falsify help [VERB]`, `falsify VERB --help` and
 * `falsify --version` are answered by main. */
#ifndef FK_CLI_H
#define FK_CLI_H

#include <stddef.h>
#include <stdio.h>

/* Exit status of every verb (README "Exit status"). */
enum fk_exit {
    FK_EXIT_OK = 0,        /* everything judged; no guard FALSIFIED, no kernel wrong */
    FK_EXIT_FAIL = 1,      /* a guard FALSIFIED, a kernel wrong or crashed, a mutant escaped */
    FK_EXIT_BAD_INPUT = 2, /* bad command line, hypothesis file, path or results file */
    FK_EXIT_NOTHING = 3,   /* tested nothing: no kernel matched or none could run here */
};

enum fk_opt {
    FK_OPT_HELP = 0,
    FK_OPT_PLUGINS,
    FK_OPT_MUTANTS_DIR,
    FK_OPT_ORACLE,
    FK_OPT_RESULTS,
    FK_OPT_MACHINE,
    FK_OPT_PYTHON,
    FK_OPT_SEED,
    FK_OPT_ORDER_SEED,
    FK_OPT_QUIET,
    FK_OPT_FORMAT,
    FK_OPT_COLOR,
    FK_OPT_MUTANTS,
    FK_OPT_FORCE,
    FK_OPT_KERNELS,
    FK_OPT_SHAPES,
    FK_OPT_THREADS,
    FK_OPT_COLD,
    FK_OPT_REPETITIONS,
    FK_OPT_MIN_TIME,
    FK_OPT_PRESET, FK_OPT_WEIGHTS, FK_OPT_MODEL, FK_OPT_ACTS, FK_OPT_EXPORT_GGUF, FK_OPT_GEMV, FK_OPT_GEMM,
    FK_OPT_ATTENTION, FK_OPT_RMSNORM, FK_OPT_ROPE, FK_OPT_SWIGLU, FK_OPT_HYPOTHESES, FK_OPT_PROMPT_LEN,
    FK_OPT_STEPS, FK_OPT_REPS, FK_OPT_NO_GEMM, FK_OPT_NO_WRITE,
    FK_OPT_ISA, FK_OPT_PLAN, FK_OPT_STRICT,
    FK_OPT_COUNT
};

struct fk_optdef {
    const char *name;       /* long name, without "--" */
    const char *arg;        /* value placeholder ("DIR"), NULL for a flag */
    const char *help;
};

struct fk_verb {
    const char *name;
    const char *args;       /* "[FILE.ini...]", "DIR_A DIR_B", "" */
    int min_args, max_args; /* max -1: any */
    const char *summary;    /* one line */
    const char *details;    /* paragraph for `help VERB` */
    unsigned long long opts;/* 1ull << FK_OPT_* it takes */
};

enum fk_action { FK_ACT_RUN = 0, FK_ACT_HELP, FK_ACT_VERSION };

struct fk_cli {
    enum fk_action action;
    const struct fk_verb *verb;      /* RUN; HELP: the verb asked about, or NULL */
    const char *val[FK_OPT_COUNT];   /* value of each option given; "1" for flags; NULL if absent */
    char **args;                     /* positional arguments (points into argv) */
    int nargs;
};

extern const struct fk_optdef fk_optdefs[FK_OPT_COUNT];

/* Parses argv (argv[0] the program).  Returns 0 and fills cli, or -1 with
 * one message in err ("falsify list: option '--cold' does not apply to
 * list (see 'falsify help list')").  args keeps pointers into argv; argv
 * itself may be permuted. */
int fk_cli_parse(int argc, char **argv, struct fk_cli *cli, char *err, size_t n);

const struct fk_verb *fk_cli_verb(const char *name);

/* The overview (verb NULL) or one verb's usage, options and exit status. */
void fk_cli_usage(FILE *f, const struct fk_verb *verb);

#endif
