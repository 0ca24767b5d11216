# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by image.sh and buildroot.sh. find_mirror: the first URI of a Debian archive in this
# machine's own apt configuration (one-line "deb URI SUITE ..." entries and deb822
# "URIs:" fields), security archives excepted; nothing when there is none, and then
# debootstrap uses its default. No host name is written in the project.
find_mirror() {
        local f line uri
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
                [ -r "$f" ] || continue
                while read -r line; do
                        case $line in
                        deb\ *)
                                line=${line#deb }
                                # drop an [option=value ...] block
                                [[ $line == \[* ]] && line=${line#*] }
                                uri=${line%% *} ;;
                        URIs:*)
                                uri=${line#URIs:}
                                uri=${uri# }
                                uri=${uri%% *} ;;
                        *) continue ;;
                        esac
                        case $uri in
                        *-security*|*security.*) continue ;;
                        http://*/debian|https://*/debian|http://*/debian/|https://*/debian/|file:/*)
                                echo "${uri%/}"
                                return 0 ;;
                        esac
                done <"$f"
        done
        return 0
}

# debootstrap_minbase SUITE ROOT PACKAGES MIRROR LOG: a minbase tree of SUITE in ROOT with
# PACKAGES (comma-separated), from MIRROR (empty: debootstrap's default), its output in LOG
# and, when it fails, the last 40 lines of LOG on stderr. In a private mount namespace:
# debootstrap mounts /proc and /sys in the target, and they vanish with it, whatever happens.
debootstrap_minbase() {
        if ! timeout 1500 unshare -m --propagation private \
                debootstrap --variant=minbase --include="$3" "$1" "$2" ${4:+"$4"} >"$5" 2>&1; then
                tail -n 40 "$5" >&2
                return 1
        fi
}
