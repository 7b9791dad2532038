#!/bin/sh
# Writes an offline busybox root filesystem tarball, made from Debian's busybox-static, to $1.
# `dockyard import` turns it into an image: no registry or internet needed.
set -eu
out=${1:?usage: busybox-rootfs.sh OUT.tar}
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "busybox-rootfs.sh: install busybox-static first" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
mkdir -p "$dir/bin" "$dir/dev" "$dir/etc" "$dir/proc" "$dir/sys" "$dir/root" "$dir/var/www" \
         "$dir/usr/bin" "$dir/tmp"
chmod 1777 "$dir/tmp"
cp "$busybox" "$dir/bin/busybox"
for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$dir/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
    > "$dir/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$dir/etc/group"
printf '<h1>Hello from a Dockyard container</h1>\n' > "$dir/var/www/index.html"
tar --numeric-owner --owner=0 --group=0 -C "$dir" -cf "$out" .
