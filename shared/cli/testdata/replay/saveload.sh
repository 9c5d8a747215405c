# save, load and --cidfile with a tiny image made by docker import
printf 'hi\n' > f && tar --mtime=@0 --owner=0 --group=0 -cf tiny-src.tar f && docker import tiny-src.tar tiny:1 >/dev/null
docker save -o tiny.tar tiny:1
docker save tiny:1
docker save nosuch
docker save -o bad.tar tiny:1 nosuch
docker rmi tiny:1
docker load -i tiny.tar
docker load -q -i tiny.tar
docker load -i nosuch.tar
docker image save -o tiny2.tar tiny
docker rmi tiny:1
docker image load --input tiny2.tar
docker run --cidfile cid.txt --name cidded busybox true
docker run --cidfile cid.txt busybox true
docker rm cidded
docker rmi tiny:1
