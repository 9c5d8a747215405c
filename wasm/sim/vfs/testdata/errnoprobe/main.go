// Command errnoprobe prints the errno Linux gives for each path-resolution
// edge case of tree_test.go's errnoTable, on a real filesystem in a scratch
// directory. It is how the table was recorded.
//
//	go run ./wasm/sim/vfs/testdata/errnoprobe
package main

import (
	"fmt"
	"os"
	"syscall"
)

func e(err error) string {
	if err == nil {
		return "ok"
	}
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.(syscall.Errno).Error()
	}
	if le, ok := err.(*os.LinkError); ok {
		return le.Err.(syscall.Errno).Error()
	}
	if en, ok := err.(syscall.Errno); ok {
		return en.Error()
	}
	return err.Error()
}

func main() {
	d, _ := os.MkdirTemp("", "probe")
	os.Chdir(d)
	os.Mkdir("dir", 0755)
	os.WriteFile("file", []byte("x"), 0644)
	os.Symlink("dir", "ldir")
	os.Symlink("file", "lfile")
	os.Symlink("nosuch", "ldang")
	os.Mkdir("dir/sub", 0755)
	os.WriteFile("dir/sub/f", nil, 0644)
	os.Mkdir("empty", 0755)
	var st syscall.Stat_t
	p := func(s string, err error) { fmt.Printf("%-40s %s\n", s, e(err)) }
	p("stat file/", syscall.Stat("file/", &st))
	p("lstat file/", syscall.Lstat("file/", &st))
	p("lstat lfile/", syscall.Lstat("lfile/", &st))
	p("lstat ldir/", syscall.Lstat("ldir/", &st))
	p("lstat ldang/", syscall.Lstat("ldang/", &st))
	p("stat file/x", syscall.Stat("file/x", &st))
	p("stat nosuch/x", syscall.Stat("nosuch/x", &st))
	p("stat ldang", syscall.Stat("ldang", &st))
	_, err := syscall.Open("file/", syscall.O_RDONLY, 0)
	p("open file/", err)
	_, err = syscall.Open("new/", syscall.O_CREAT|syscall.O_WRONLY, 0644)
	p("open new/ creat", err)
	_, err = syscall.Open("dir/", syscall.O_CREAT|syscall.O_WRONLY, 0644)
	p("open dir/ creat wr", err)
	_, err = syscall.Open("dir", syscall.O_CREAT|syscall.O_RDONLY, 0644)
	p("open dir creat rd", err)
	_, err = syscall.Open("dir", syscall.O_WRONLY, 0644)
	p("open dir wronly", err)
	_, err = syscall.Open("dir", syscall.O_RDONLY|syscall.O_TRUNC, 0644)
	p("open dir rdonly|trunc", err)
	_, err = syscall.Open("ldang", syscall.O_CREAT|syscall.O_WRONLY, 0644)
	p("open ldang creat (creates nosuch)", err)
	os.Remove("nosuch")
	_, err = syscall.Open("ldang", syscall.O_CREAT|syscall.O_EXCL|syscall.O_WRONLY, 0644)
	p("open ldang creat|excl", err)
	_, err = syscall.Open("file", syscall.O_CREAT|syscall.O_EXCL|syscall.O_WRONLY, 0644)
	p("open file creat|excl", err)
	_, err = syscall.Open(".", syscall.O_CREAT|syscall.O_WRONLY, 0644)
	p("open . creat", err)
	p("mkdir new/", syscall.Mkdir("new/", 0755))
	p("mkdir new//", syscall.Mkdir("new2//", 0755))
	p("mkdir dir", syscall.Mkdir("dir", 0755))
	p("mkdir dir/.", syscall.Mkdir("dir/.", 0755))
	p("mkdir dir/..", syscall.Mkdir("dir/..", 0755))
	p("mkdir ldang", syscall.Mkdir("ldang", 0755))
	p("mkdir ldang/", syscall.Mkdir("ldang/", 0755))
	p("mkdir file/x", syscall.Mkdir("file/x", 0755))
	p("mkdir /", syscall.Mkdir("/", 0755))
	p("rmdir dir/.", syscall.Rmdir("dir/."))
	p("rmdir dir/..", syscall.Rmdir("dir/.."))
	p("rmdir file", syscall.Rmdir("file"))
	p("rmdir file/", syscall.Rmdir("file/"))
	p("rmdir ldir", syscall.Rmdir("ldir"))
	p("rmdir ldir/", syscall.Rmdir("ldir/"))
	p("rmdir dir", syscall.Rmdir("dir"))
	p("rmdir /", syscall.Rmdir("/"))
	p("rmdir nosuch", syscall.Rmdir("nosuch"))
	p("unlink dir", syscall.Unlink("dir"))
	p("unlink dir/", syscall.Unlink("dir/"))
	p("unlink file/", syscall.Unlink("file/"))
	p("unlink lfile/", syscall.Unlink("lfile/"))
	p("unlink ldir/", syscall.Unlink("ldir/"))
	p("unlink .", syscall.Unlink("."))
	p("unlink nosuch", syscall.Unlink("nosuch"))
	p("symlink x file", syscall.Symlink("x", "file"))
	p("symlink x new3/", syscall.Symlink("x", "new3/"))
	p("symlink x dir/", syscall.Symlink("x", "dir/"))
	p("symlink x file/", syscall.Symlink("x", "file/"))
	p("symlink x ldang", syscall.Symlink("x", "ldang"))
	p("symlink '' e", syscall.Symlink("", "e"))
	p("link file dir", syscall.Link("file", "dir"))
	p("link dir d2", syscall.Link("dir", "d2"))
	p("link file new4/", syscall.Link("file", "new4/"))
	p("link file/ new4", syscall.Link("file/", "new4"))
	p("link ldir new5", syscall.Link("ldir", "new5"))
	os.Remove("new5")
	p("link nosuch new6", syscall.Link("nosuch", "new6"))
	p("rename file dir", syscall.Rename("file", "dir"))
	p("rename dir file", syscall.Rename("dir", "file"))
	p("rename dir empty", syscall.Rename("empty", "empty"))
	p("rename dir dir/sub/x", syscall.Rename("dir", "dir/sub/x"))
	p("rename dir dir", syscall.Rename("dir", "dir"))
	p("rename dir/sub dir", syscall.Rename("dir/sub", "dir"))
	p("rename file/ f2", syscall.Rename("file/", "f2"))
	p("rename file f2/", syscall.Rename("file", "f2/"))
	p("rename . x", syscall.Rename(".", "x"))
	p("rename dir/. x", syscall.Rename("dir/.", "x"))
	p("rename x dir/.. ", syscall.Rename("file", "dir/.."))
	p("rename nosuch x", syscall.Rename("nosuch", "x"))
	p("rename file nosuchdir/x", syscall.Rename("file", "nosuchdir/x"))
	p("rename lfile lfile", syscall.Rename("lfile", "file"))
	os.WriteFile("file", []byte("x"), 0644)
	os.Link("file", "hard")
	p("rename file hard (same inode)", syscall.Rename("file", "hard"))
	_, err = os.Lstat("file")
	p("  file still exists after", err)
	p("rename ldir/ x", syscall.Rename("ldir/", "x"))
	os.Rename("x", "dir")
	os.Mkdir("full", 0755)
	os.WriteFile("full/a", nil, 0644)
	p("rename empty full", syscall.Rename("empty", "full"))
	p("rename dir full", syscall.Rename("dir", "full"))
	p("rmdir full", syscall.Rmdir("full"))
	p("mknod file", syscall.Mknod("file", syscall.S_IFIFO|0644, 0))
	p("chmod ldang", syscall.Chmod("ldang", 0644))
	p("lchown ldang", syscall.Lchown("ldang", 1, 1))
	p("readlink file", func() error { _, err := os.Readlink("file"); return err }())
	p("readlink ldir/", func() error { _, err := os.Readlink("ldir/"); return err }())
	p("truncate dir", syscall.Truncate("dir", 0))
	p("truncate -1", syscall.Truncate("file", -1))
	os.Mkdir("loop", 0755)
	for i := 0; i < 41; i++ {
		os.Symlink(fmt.Sprintf("l%d", i+1), fmt.Sprintf("loop/l%d", i))
	}
	os.WriteFile("loop/l41", nil, 0644)
	p("stat 41 chain (l0)", syscall.Stat("loop/l0", &st))
	p("stat 40 chain (l1)", syscall.Stat("loop/l1", &st))
	os.Symlink("self", "self")
	p("stat self", syscall.Stat("self", &st))
	p("lstat self", syscall.Lstat("self", &st))
	p("lstat self/", syscall.Lstat("self/", &st))
	p("mkdir self", syscall.Mkdir("self", 0755))
	_, err = syscall.Open("self", syscall.O_CREAT|syscall.O_WRONLY, 0644)
	p("open self creat", err)
	p("stat ''", syscall.Stat("", &st))
	var long = make([]byte, 256)
	for i := range long {
		long[i] = 'a'
	}
	p("mkdir 256 name", syscall.Mkdir(string(long), 0755))
	p("stat 256 name", syscall.Stat(string(long), &st))
	os.RemoveAll(d)
}
