/* STUB */ typedef int hooks_empty;
