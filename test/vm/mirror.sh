# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by image.sh and buildroot.sh: the first URI of a Debian archive in this
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
