/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A program with a RUNPATH (/opt/vendor/lib), like vendor software: test-boundary.sh checks
 * that root is refused when that directory is not root's. */
int main(void) {
        return 0;
}
