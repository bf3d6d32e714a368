/* falsify compare DIR...: N machines' results side by side. */
#ifndef FK_COMPARE_H
#define FK_COMPARE_H
#include <stdio.h>
/* Reads machine.csv, hypotheses.csv and kernels.csv of each results/<machine>
 * folder in dirs[0..n) (a folder holding machine folders, such as results/,
 * stands for all of them) and prints to out: the machines, their ceilings,
 * the claim x machine verdict matrix, each kernel's throughput with its
 * interval per machine, and each speedup claim's figure per machine with the
 * interval of its ratio to the first machine that has it.  Returns 0, or 2
 * with one message on err naming the folder, or the file and line, and the
 * rule (missing folder, no results in it, malformed CSV, a non-number where
 * a number belongs).  Allocates nothing that outlives the call. */
int fk_compare(int n, char *const *dirs, FILE *out, FILE *err);

/* The same in another format (output.h): FK_OUT_TABLE is fk_compare's
 * table; FK_OUT_MD its sections as pipe tables (M1..Mn as columns);
 * FK_OUT_CSV and FK_OUT_JSON one long table, one row per machine and
 * ceiling, claim, kernel or speedup ("rows", schema falsify.compare/1 in
 * README; csv: that table alone), and in json the machines.  Returns as
 * fk_compare. */
#include "output.h"
int fk_compare_format(int n, char *const *dirs, enum fk_out_format fmt, FILE *out, FILE *err);
#endif
