#!/bin/sh
# Installs the Debian packages a make target needs, when they are missing.
#   harness/deps.sh build|falsify|test|fuzz|figures|paper|aarch64   install what that needs
#   harness/deps.sh python    print a Python 3 interpreter that has NumPy
# Runs apt-get only when something is missing; as root directly, otherwise
# through non-interactive sudo; if neither works it says what to install.
set -u

find_python() {
    for p in ${FALSIFY_PYTHON:-} /usr/bin/python3 python3 /usr/local/bin/python3; do
        [ -n "$p" ] || continue
        command -v "$p" >/dev/null 2>&1 || continue
        if "$p" -c 'import numpy' >/dev/null 2>&1; then
            command -v "$p"
            return 0
        fi
    done
    return 1
}

has_header() { [ -f "/usr/include/$1" ] || [ -f "/usr/include/x86_64-linux-gnu/$1" ] || [ -f "/usr/include/aarch64-linux-gnu/$1" ]; }

# The host architecture's development library (libNAME.so), in its Debian
# multiarch folder.  A header is not enough: Debian's headers live in the
# shared /usr/include, so libcmocka-dev:arm64 (make test-aarch64) installs
# cmocka.h without the x86-64 libcmocka.so the host link needs.
host_multiarch() {
    cc -print-multiarch 2>/dev/null | grep . ||
        dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null ||
        echo "$(uname -m)-linux-gnu"
}
has_lib() {
    ma=$(host_multiarch)
    [ -e "/usr/lib/$ma/lib$1.so" ] || [ -e "/lib/$ma/lib$1.so" ] || [ -e "/usr/lib/lib$1.so" ]
}

need=""
want() { need="$need $1"; }
# Peer libraries (kernels/peer_*.c) are optional: without them the peers are
# not built and hypotheses naming them are UNTESTABLE, so a failed install
# of these warns and goes on.  Checked by the host-architecture library file
# the Makefile links, not by a header.
peer_need=""
want_peer() { peer_need="$peer_need $1"; }

check() {
    case "$1" in
    build)
        command -v cc >/dev/null 2>&1 || want gcc
        command -v make >/dev/null 2>&1 || want make
        { has_header ini.h && has_lib inih; } || want libinih-dev
        ;;
    falsify)
        check build
        find_python >/dev/null || want python3-numpy
        has_lib openblas || want_peer libopenblas-dev
        has_lib blis || want_peer libblis-dev
        has_lib dnnl || want_peer libdnnl-dev
        ;;
    test)
        check falsify
        { has_header cmocka.h && has_lib cmocka; } || want libcmocka-dev
        ;;
    fuzz)
        # libFuzzer ships with clang's runtime (Debian: libclang-rt-14-dev)
        check build
        command -v clang >/dev/null 2>&1 || want clang
        if command -v clang >/dev/null 2>&1 && ! printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' |
            clang -fsanitize=fuzzer -x c - -o /dev/null >/dev/null 2>&1; then
            want libclang-rt-14-dev
        fi
        ;;
    figures)
        command -v gnuplot >/dev/null 2>&1 || want gnuplot-nox
        # the figures' clipping marks (◀ ▶) need a font that has them
        [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || want fonts-dejavu-core
        ;;
    paper)
        check figures
        command -v latexmk >/dev/null 2>&1 || want "latexmk texlive-latex-base texlive-latex-recommended texlive-latex-extra"
        command -v pdftoppm >/dev/null 2>&1 || want poppler-utils
        ;;
    aarch64)
        # cross compiler, emulator, and the arm64 libraries through Debian
        # multiarch (dpkg --add-architecture arm64): headers in /usr/include,
        # libraries in /usr/lib/aarch64-linux-gnu; the host oracle needs NumPy
        check falsify
        command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || want "gcc-aarch64-linux-gnu libc6-dev-arm64-cross"
        command -v qemu-aarch64 >/dev/null 2>&1 || want qemu-user
        [ -f /usr/lib/aarch64-linux-gnu/libinih.so ] || want libinih-dev:arm64
        [ -f /usr/lib/aarch64-linux-gnu/libcmocka.so ] || want libcmocka-dev:arm64
        ;;
    *)
        echo "deps.sh: unknown target '$1' (build falsify test fuzz figures paper aarch64 python)" >&2
        exit 2
        ;;
    esac
}

if [ "${1:-}" = python ]; then
    find_python && exit 0
    echo "deps.sh: no Python 3 with NumPy found (tried \$FALSIFY_PYTHON, /usr/bin/python3, python3);" >&2
    echo "         install Debian's python3-numpy (it serves /usr/bin/python3) or set FALSIFY_PYTHON" >&2
    exit 1
fi

for t in "$@"; do check "$t"; done
[ -n "$need$peer_need" ] || exit 0

[ -n "$need" ] && echo "deps: installing missing Debian packages:$need"
if [ "$(id -u)" = 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    if [ -z "$need" ]; then
        echo "deps: peer libraries not installed (not root, no password-less sudo):$peer_need; their plugins are skipped" >&2
        exit 0
    fi
    echo "deps: not root and no password-less sudo: please run" >&2
    echo "      sudo apt-get update && sudo apt-get install -y$need$peer_need" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    if [ -z "$need" ]; then
        echo "deps: apt-get not found: peer libraries not installed:$peer_need; their plugins are skipped" >&2
        exit 0
    fi
    echo "deps: apt-get not found (not Debian/Ubuntu?): install the equivalents of:$need" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
case "$need" in *:arm64*) $SUDO dpkg --add-architecture arm64 ;; esac
# shellcheck disable=SC2086
if [ -n "$need" ]; then
    if ! { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q --no-install-recommends $need >/dev/null; }; then
        echo "deps: apt-get install failed for:$need" >&2
        echo "      (no network or no Debian mirror?) install them by hand and re-run" >&2
        exit 1
    fi
    echo "deps: installed:$need"
fi
if [ -n "$peer_need" ]; then
    echo "deps: installing peer libraries:$peer_need"
    # shellcheck disable=SC2086
    if { [ -n "$need" ] || $SUDO apt-get update -q >/dev/null; } &&
        $SUDO apt-get install -y -q --no-install-recommends $peer_need >/dev/null; then
        echo "deps: installed:$peer_need"
    else
        echo "deps: could not install peer libraries:$peer_need: their plugins are not built and" >&2
        echo "      hypotheses naming them are UNTESTABLE (peer library not installed)" >&2
    fi
fi
