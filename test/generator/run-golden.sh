#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Golden-tree tests of virtualing-generator: test-NN-name.input/{etc,run,usr-local-lib,usr-lib}
# are the search path; the output must equal test-NN-name.expected/ (names first, then
# contents), stderr must equal test-NN-name.stderr (or be empty), EARLY and LATE stay empty.
# Placeholders in expected files: @INPUT@ (the input copy), @HELPER@, @UNITDIR@.
set -u
generator=${1:?usage: run-golden.sh GENERATOR HELPER_PATH UNIT_DIR [TESTDIR]}
helper=${2:?}
unitdir=${3:?}
testdir=${4:-$(dirname "$0")}

work=$(mktemp -d /tmp/virtualing-golden.XXXXXX)
trap 'rm -rf "$work"' EXIT

subst() { sed -e "s|@INPUT@|$input|g" -e "s|@HELPER@|$helper|g" -e "s|@UNITDIR@|$unitdir|g" "$@"; }

n=0
failed=0
for case_in in "$testdir"/test-*.input; do
        name=$(basename "$case_in" .input)
        expected="$testdir/$name.expected"
        n=$((n + 1))
        rm -rf "$work/case"
        mkdir -p "$work/case/normal" "$work/case/early" "$work/case/late"
        # a private copy, so file modes do not depend on the checkout's umask
        cp -a "$case_in" "$work/case/input"
        chmod -R go-w "$work/case/input"
        input="$work/case/input"
        path="$input/etc:$input/run:$input/usr-local-lib:$input/usr-lib"

        VIRTUALING_CONFIG_PATH=$path VIRTUALING_PHYSICAL_MEMORY=8589934592 env -u SYSTEMD_SCOPE \
                "$generator" "$work/case/normal" "$work/case/early" "$work/case/late" \
                >"$work/case/stdout" 2>"$work/case/stderr"
        rc=$?

        problems=()
        [ $rc -eq 0 ] || problems+=("exit status $rc")
        [ -s "$work/case/stdout" ] && problems+=("wrote to stdout")
        [ -z "$(find "$work/case/early" "$work/case/late" -mindepth 1)" ] || problems+=("wrote into EARLY or LATE")

        if [ -f "$testdir/$name.stderr" ]; then
                subst "$testdir/$name.stderr" >"$work/case/stderr.want"
        else
                : >"$work/case/stderr.want"
        fi
        if ! diff -u "$work/case/stderr.want" "$work/case/stderr" >"$work/case/diff.stderr"; then
                problems+=("stderr differs")
        fi

        if [ -d "$expected" ]; then
                (cd "$expected" && find . -mindepth 1 -printf '%P %y\n' | LC_ALL=C sort) >"$work/case/names.want"
        else
                : >"$work/case/names.want" # git keeps no empty directory: no output expected
        fi
        (cd "$work/case/normal" && find . -mindepth 1 -printf '%P %y\n' | LC_ALL=C sort) >"$work/case/names.got"
        if ! diff -u "$work/case/names.want" "$work/case/names.got" >"$work/case/diff.names"; then
                problems+=("file names differ")
        else
                : >"$work/case/diff.files"
                while read -r f type; do
                        if [ "$type" = f ]; then
                                subst "$expected/$f" >"$work/case/want"
                                diff -u --label "expected/$f" --label "got/$f" "$work/case/want" "$work/case/normal/$f" \
                                        >>"$work/case/diff.files" || problems+=("$f differs")
                        elif [ "$type" = l ]; then
                                want=$(readlink "$expected/$f" | subst)
                                got=$(readlink "$work/case/normal/$f")
                                [ "$want" = "$got" ] || {
                                        problems+=("link $f -> $got, want $want")
                                }
                        fi
                done <"$work/case/names.want"
        fi

        if [ ${#problems[@]} -eq 0 ]; then
                echo "ok $n - $name"
        else
                echo "not ok $n - $name: ${problems[*]}"
                cat "$work/case/diff.names" "$work/case/diff.stderr" "$work/case/diff.files" 2>/dev/null | sed 's/^/# /'
                failed=$((failed + 1))
        fi
done
echo "1..$n"
[ $failed -eq 0 ]
