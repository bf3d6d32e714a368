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
#endif
