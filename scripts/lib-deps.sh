# Shared by scripts/install-deps.sh and scripts/install-host-deps.sh (sourced).
#
# deps_missing "pkg:probe ..."  prints the packages whose probe fails: a probe
#                               starting with / is a file, anything else a command.
# deps_install WHO PKGS         as root: apt-get update + install PKGS; otherwise
#                               prints the exact command to run and exits 1.

deps_missing() {
	missing=
	for item in $1; do
		pkg=${item%%:*}
		probe=${item#*:}
		case $probe in
		/*) [ -e "$probe" ] && continue ;;
		*) command -v "$probe" > /dev/null 2>&1 && continue ;;
		esac
		case " $missing " in *" $pkg "*) ;; *) missing="$missing $pkg" ;; esac
	done
	echo "$missing"
}

deps_install() {
	who=$1
	pkgs=$2
	echo "$who: missing Debian packages:$pkgs"
	cmd="apt-get install -y --no-install-recommends$pkgs"
	if [ "$(id -u)" != 0 ]; then
		echo "$who: run this as root, then try again:"
		echo "    sudo apt-get update && sudo $cmd"
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	$cmd
}
