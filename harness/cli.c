#include "cli.h"

#include <getopt.h>
#include <string.h>

#define O(x) (1ull << FK_OPT_##x)

const struct fk_optdef fk_optdefs[FK_OPT_COUNT] = {
    [FK_OPT_HELP] = {"help", NULL, "this help, exit status 0"},
    [FK_OPT_PLUGINS] = {"plugins", "DIR", "kernel plugins (env FALSIFY_PLUGINS; default: beside the binary)"},
    [FK_OPT_MUTANTS_DIR] = {"mutants-dir", "DIR", "mutant plugins (env FALSIFY_MUTANTS; default: beside the binary)"},
    [FK_OPT_ORACLE] = {"oracle", "DIR", "oracle vector cache (default: beside the binary, or ~/.cache/falsify/oracle)"},
    [FK_OPT_RESULTS] = {"results", "DIR", "results folder (default results/<machine>)"},
    [FK_OPT_MACHINE] = {"machine", "NAME", "machine name for results (env FALSIFY_MACHINE; default from the CPU)"},
    [FK_OPT_PYTHON] = {"python", "PATH", "Python 3 with NumPy for the oracle (env FALSIFY_PYTHON; default /usr/bin/python3)"},
    [FK_OPT_SEED] = {"seed", "N", "oracle case seed: the inputs every kernel is checked on (default 1)"},
    [FK_OPT_ORDER_SEED] = {"order-seed", "N", "seed of the randomized sample order and the gate's random shapes (default: drawn, printed, recorded)"},
    [FK_OPT_QUIET] = {"quiet", NULL, "no progress on stderr"},
    [FK_OPT_FORMAT] = {"format", "FMT", "output on stdout: table (default), csv, json, md"},
    [FK_OPT_COLOR] = {"color", "WHEN", "colour verdicts: auto (default; off with NO_COLOR or when piped), always, never"},
    [FK_OPT_MUTANTS] = {"mutants", NULL, "also list the mutant plugins"},
    [FK_OPT_FORCE] = {"force", NULL, "re-measure even if machine.csv matches this machine and build"},
    [FK_OPT_KERNELS] = {"kernels", "GLOB,...", "kernels to time: names, globs, roles (default 'gemv.f32.*'); peers by exact name"},
    [FK_OPT_SHAPES] = {"shapes", "RxC[xB],...", "shapes (default 2048x2048)"},
    [FK_OPT_THREADS] = {"threads", "T,...", "thread counts (default 1)"},
    [FK_OPT_COLD] = {"cold", NULL, "cold cache: rotate weight copies larger than the last-level cache"},
    [FK_OPT_REPETITIONS] = {"repetitions", "N", "independent repetitions (a fresh process each) per kernel (default 5)"},
    [FK_OPT_MIN_TIME] = {"min-time", "SECONDS", "sampling time per repetition, at least 5 samples (default 0.2)"},
    /* decode (harness/decode_run.c parses their values) */
    [FK_OPT_PRESET] = {"preset", "NAME,...", "synthetic model presets: tiny, stories15M, stories110M, tinyllama"},
    [FK_OPT_WEIGHTS] = {"weights", "FMT,...", "weight configurations: f32, int4, w4a8, q8_0, q4_k"},
    [FK_OPT_MODEL] = {"model", "FILE", "a llama2.c checkpoint or GGUF file instead of a preset"},
    [FK_OPT_ACTS] = {"acts", "FMT", "activations: f32 or q8_0"},
    [FK_OPT_EXPORT_GGUF] = {"export-gguf", "FILE", "write the synthetic model as GGUF"},
    [FK_OPT_GEMV] = {"gemv", "KERNEL", "GEMV plugin (default: the best runnable by ISA preference; mutants too)"},
    [FK_OPT_GEMM] = {"gemm", "KERNEL", "GEMM plugin for prefill (name or role)"},
    [FK_OPT_ATTENTION] = {"attention", "KERNEL", "attention plugin"},
    [FK_OPT_RMSNORM] = {"rmsnorm", "KERNEL", "rmsnorm plugin"},
    [FK_OPT_ROPE] = {"rope", "KERNEL", "rope plugin"},
    [FK_OPT_SWIGLU] = {"swiglu", "KERNEL", "swiglu plugin"},
    [FK_OPT_HYPOTHESES] = {"hypotheses", "FILE", "judge the model-level claims of a hypotheses/decode*.ini file"},
    [FK_OPT_PROMPT_LEN] = {"prompt-len", "N", "prompt tokens (prefill)"},
    [FK_OPT_STEPS] = {"steps", "N", "decode steps"},
    [FK_OPT_REPS] = {"reps", "N", "repetitions"},
    [FK_OPT_NO_GEMM] = {"no-gemm", NULL, "prefill token by token through the GEMV"},
    [FK_OPT_NO_WRITE] = {"no-write", NULL, "write no results"},
    [FK_OPT_ISA] = {"isa", "MASK", "run as a lesser CPU: x86-64-v3, x86-64-v4, or features (avx,avx2,fma); plugins needing more are skipped as \"masked\" (env FALSIFY_ISA)"},
    [FK_OPT_PLAN] = {"plan", NULL, "resolve roles and say what would be judged or UNTESTABLE and why; measure nothing, write nothing"},
    [FK_OPT_STRICT] = {"strict", NULL, "exit 1 when a verdict is UNTESTABLE for a reason other than the capability its claim needs (CPU feature, cores) or emulation"},
};

#define COMMON (O(HELP))
#define RUNNING (O(PLUGINS) | O(ORACLE) | O(PYTHON) | O(SEED) | O(QUIET) | O(COLOR) | O(FORMAT) | O(ISA))

static const struct fk_verb verbs[] = {
    {"list", "", 0, 0, "plugins: runnable, skipped (naming the missing CPU feature) or refused",
     "Lists every plugin in the plugin folder with its ISA, op and formats, and whether this CPU runs it.",
     COMMON | O(PLUGINS) | O(MUTANTS_DIR) | O(MUTANTS) | O(FORMAT) | O(COLOR) | O(ISA)},
    {"check", "[FILE.ini...]", 0, -1, "correctness against the oracle, then every hypothesis judged",
     "Checks each kernel a hypothesis names against the NumPy oracle, then judges the hypotheses (default: the\n"
     "installed hypotheses/*.ini) and writes results/<machine>/kernels.csv, hypotheses.csv and samples.csv.",
     COMMON | RUNNING | O(RESULTS) | O(MACHINE) | O(ORDER_SEED) | O(PLAN) | O(STRICT)},
    {"mutants", "[FILE.ini...]", 0, -1, "every mutant kernel must be FALSIFIED by an error hypothesis",
     "Judges the error hypotheses on the deliberately wrong mutant plugins; exit status 1 if one escapes.",
     COMMON | O(MUTANTS_DIR) | O(ORACLE) | O(PYTHON) | O(SEED) | O(QUIET) | O(COLOR) | O(ISA)},
    {"bench", "", 0, 0, "time kernels and rank them per shape and thread count",
     "Times the kernels (after the same oracle gate as check) in independent repetitions (a fresh process\n"
     "each, interleaved across kernels) and ranks them per shape, thread count and cache mode: fastest\n"
     "first, each kernel's time ratio to the fastest (paired by repetition) with its 95% interval and\n"
     "whether the gap is decided.  Writes results/<machine>/bench.csv and bench.json.\n"
     "--format gbench-json writes Google Benchmark's JSON (for its tools/compare.py).",
     COMMON | RUNNING | O(RESULTS) | O(MACHINE) | O(ORDER_SEED) | O(KERNELS) | O(SHAPES) | O(THREADS) | O(COLD) |
         O(REPETITIONS) | O(MIN_TIME)},
    {"machine", "", 0, 0, "the machine's ceilings: read bandwidth per level, peak FMA and int8 dot",
     "Measures (or loads, when cached for this machine and build) results/<machine>/machine.csv.",
     COMMON | O(RESULTS) | O(MACHINE) | O(FORCE) | O(QUIET) | O(FORMAT) | O(COLOR) | O(ISA)},
    {"decode", "", 0, 0, "a Llama-2 forward pass built from the plugins: tok/s, roofline fraction, per-op time",
     "Runs synthetic presets (or a llama2.c / GGUF --model) through registered plugins, one per op, and\n"
     "writes results/<machine>/decode.csv, decode_tokens.csv and decode_ops.csv; --hypotheses FILE judges\n"
     "model-level claims (hypotheses/decode.ini) into decode_hypotheses.csv.",
     COMMON | O(PLUGINS) | O(MUTANTS_DIR) | O(RESULTS) | O(MACHINE) | O(SEED) | O(QUIET) | O(THREADS) | O(PRESET) |
         O(WEIGHTS) | O(MODEL) | O(ACTS) | O(EXPORT_GGUF) | O(GEMV) | O(GEMM) | O(ATTENTION) | O(RMSNORM) |
         O(ROPE) | O(SWIGLU) | O(HYPOTHESES) | O(PROMPT_LEN) | O(STEPS) | O(REPS) | O(NO_GEMM) | O(NO_WRITE) | O(ISA)},
    {"compare", "DIR...", 1, -1, "results/<machine> folders (or results/ for all) side by side",
     "Ceilings, the claim x machine verdict matrix, each kernel's throughput with its interval side by side,\n"
     "and for each speedup the interval of its ratio between machines.",
     COMMON | O(FORMAT)},
    {"help", "[VERB]", 0, 1, "this overview, or one verb's options", "", COMMON},
};
#define NVERBS ((int)(sizeof verbs / sizeof verbs[0]))

const struct fk_verb *fk_cli_verb(const char *name)
{
    for (int i = 0; i < NVERBS; i++)
        if (strcmp(verbs[i].name, name) == 0)
            return &verbs[i];
    return NULL;
}

static void exit_status_text(FILE *f)
{
    fprintf(f, "exit status:\n"
               "  0  ok: everything asked for was judged; no guard FALSIFIED, no kernel wrong\n"
               "  1  a guard hypothesis FALSIFIED, a kernel wrong or crashed, or a mutant escaped\n"
               "  2  bad input: command line, hypothesis file, path or results file (the message names it)\n"
               "  3  tested nothing: no kernel matched, or none could run here (the reason is printed)\n");
}

void fk_cli_usage(FILE *f, const struct fk_verb *v)
{
    if (!v) {
        fprintf(f, "usage: falsify VERB [options] [arguments]\n"
                   "       falsify help [VERB] | falsify VERB --help | falsify --version\n\nverbs:\n");
        for (int i = 0; i < NVERBS; i++)
            fprintf(f, "  %-8s %s\n", verbs[i].name, verbs[i].summary);
        fprintf(f, "\nOptions take --opt=value or --opt value.  'falsify help VERB' lists a verb's options.\n\n");
        exit_status_text(f);
        return;
    }
    fprintf(f, "usage: falsify %s [options]%s%s\n\n%s\n", v->name, v->args[0] ? " " : "", v->args, v->summary);
    if (v->details[0])
        fprintf(f, "\n%s\n", v->details);
    fprintf(f, "\noptions:\n");
    for (int o = 0; o < FK_OPT_COUNT; o++) {
        if (!(v->opts & (1ull << o)))
            continue;
        char head[64];
        snprintf(head, sizeof head, "--%s%s%s", fk_optdefs[o].name, fk_optdefs[o].arg ? "=" : "",
                 fk_optdefs[o].arg ? fk_optdefs[o].arg : "");
        const char *help = fk_optdefs[o].help;
        if (o == FK_OPT_FORMAT && strcmp(v->name, "bench") == 0)
            help = "output on stdout: table (default), csv, json, md, gbench-json (Google Benchmark)";
        fprintf(f, "  %-24s %s\n", head, help);
    }
    fputc('\n', f);
    exit_status_text(f);
}

int fk_cli_parse(int argc, char **argv, struct fk_cli *cli, char *err, size_t n)
{
    memset(cli, 0, sizeof *cli);
    if (argc < 2) {
        snprintf(err, n, "falsify: no verb given (try 'falsify help')");
        return -1;
    }
    const char *first = argv[1];
    if (!strcmp(first, "--version") || !strcmp(first, "version")) {
        if (argc > 2) {
            snprintf(err, n, "falsify: --version takes no arguments");
            return -1;
        }
        cli->action = FK_ACT_VERSION;
        return 0;
    }
    if (!strcmp(first, "--help") || !strcmp(first, "-h") || !strcmp(first, "help")) {
        cli->action = FK_ACT_HELP;
        if (argc > 3) {
            snprintf(err, n, "falsify help: takes at most one verb");
            return -1;
        }
        if (argc == 3) {
            cli->verb = fk_cli_verb(argv[2]);
            if (!cli->verb) {
                snprintf(err, n, "falsify help: unknown verb '%s' (try 'falsify help')", argv[2]);
                return -1;
            }
        }
        return 0;
    }
    const struct fk_verb *v = fk_cli_verb(first);
    if (!v || !strcmp(first, "help")) {
        snprintf(err, n, "falsify: unknown verb '%s' (try 'falsify help')", first);
        return -1;
    }
    cli->verb = v;
    struct option lo[FK_OPT_COUNT + 1];
    for (int o = 0; o < FK_OPT_COUNT; o++)
        lo[o] = (struct option){fk_optdefs[o].name, fk_optdefs[o].arg ? required_argument : no_argument, NULL, o + 1};
    lo[FK_OPT_COUNT] = (struct option){NULL, 0, NULL, 0};
    /* getopt sees the verb as argv[0]; optind 0 re-initialises GNU getopt */
    int ac = argc - 1;
    char **av = argv + 1;
    optind = 0;
    opterr = 0;
    for (;;) {
        int idx = -1;
        int c = getopt_long(ac, av, ":h", lo, &idx);
        if (c == -1)
            break;
        if (c == 'h') {
            cli->action = FK_ACT_HELP;
            continue;
        }
        if (c == ':') {
            int o = optopt - 1;
            snprintf(err, n, "falsify %s: option '--%s' needs a value (--%s=%s)", v->name,
                     o >= 0 && o < FK_OPT_COUNT ? fk_optdefs[o].name : "?",
                     o >= 0 && o < FK_OPT_COUNT ? fk_optdefs[o].name : "?",
                     o >= 0 && o < FK_OPT_COUNT && fk_optdefs[o].arg ? fk_optdefs[o].arg : "VALUE");
            return -1;
        }
        if (c == '?') {
            const char *bad = av[optind - 1];
            if (optopt > 0 && optopt <= FK_OPT_COUNT)   /* a flag given a value: --cold=yes */
                snprintf(err, n, "falsify %s: option '--%s' takes no value", v->name, fk_optdefs[optopt - 1].name);
            else
                snprintf(err, n, "falsify %s: unknown or ambiguous option '%s' (see 'falsify help %s')", v->name,
                         bad, v->name);
            return -1;
        }
        int o = c - 1;
        if (!(v->opts & (1ull << o))) {
            snprintf(err, n, "falsify %s: option '--%s' does not apply to %s (see 'falsify help %s')", v->name,
                     fk_optdefs[o].name, v->name, v->name);
            return -1;
        }
        if (o == FK_OPT_HELP)
            cli->action = FK_ACT_HELP;
        cli->val[o] = fk_optdefs[o].arg ? optarg : "1";
    }
    cli->args = av + optind;
    cli->nargs = ac - optind;
    if (cli->action == FK_ACT_HELP)
        return 0;
    if (cli->nargs < v->min_args || (v->max_args >= 0 && cli->nargs > v->max_args)) {
        if (v->max_args == 0)
            snprintf(err, n, "falsify %s: takes no arguments, got '%s' (see 'falsify help %s')", v->name,
                     cli->args[0], v->name);
        else
            snprintf(err, n, "falsify %s: expects %s, got %d argument(s) (see 'falsify help %s')", v->name, v->args,
                     cli->nargs, v->name);
        return -1;
    }
    return 0;
}
