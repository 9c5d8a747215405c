package busybox

import (
	"strings"
	"testing"
	"time"
)

// TestProcessApplets checks the applets that read the process table or
// signal processes; the reference machine's table cannot be replayed, so
// the expectations are busybox's formats over the simulated table.
func TestProcessApplets(t *testing.T) {
	tests := []struct {
		name, script, stdout, stderr string
		status                       int
	}{
		{"killall", "sleep 100 & killall sleep; wait; echo st=$?; killall nosuch; echo st=$?", "st=0\nst=1\n", "killall: nosuch: no process killed\n", 0},
		{"time", "time sleep 1.5", "", "real\t0m 1.50s\nuser\t0m 0.00s\nsys\t0m 0.00s\n", 0},
		{"kill -s", "sleep 100 & kill -s HUP $!; wait $!; echo st=$?; sleep 100 & kill -9 $!; wait $!; echo st=$?", "st=129\nst=137\n", "", 0},
		{"ps -o", "sleep 9 & ps -o pid,ppid,user,group,comm,stat,args; true", "PID   PPID  USER     GROUP    COMMAND          STAT COMMAND\n    1     0 root     root     sh               S    sh -c sleep 9 & ps -o pid,ppid,user,group,comm,stat,args; true\n    2     1 root     root     sleep            S    sleep 9\n    3     1 root     root     ps               R    ps -o pid,ppid,user,group,comm,stat,args\n", "", 0},
		{"ps -o bad", "ps -o pid,bogus", "", "ps: bad -o argument 'bogus', supported arguments: user,group,comm,args,pid,ppid,pgid,nice,rgroup,ruser,tty,vsz,sid,stat,rss\n", 1},
		{"ps header", "ps -o pid=; ps -o pid=PROC,comm=CMD; true", "    1\n    2\nPROC CMD\n   1 sh\n   3 ps\n", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMachine(t, fixture(), start)
			var o outcome
			if strings.HasPrefix(tt.script, "time ") {
				o = m.run(tt.script, nil)
			} else {
				o = m.runFrozen(tt.script)
			}
			if o.stdout != tt.stdout || o.stderr != tt.stderr || o.status != tt.status {
				t.Errorf("$ %s\ngot  %q %q %d\nwant %q %q %d", tt.script, o.stdout, o.stderr, o.status, tt.stdout, tt.stderr, tt.status)
			}
		})
	}
}

// TestPidof: the clock stands still, so the sleeps are still there.
func TestPidof(t *testing.T) {
	m := newMachine(t, fixture(), start)
	var stdout, stderr syncBuffer
	p := m.start([]string{"sh", "-c", "sleep 100 & sleep 200 & pidof sleep; pidof -s sleep; pidof nosuch; echo st=$?"}, nil, &stdout, &stderr)
	p.Wait()
	if got, want := stdout.String(), "3 2\n3\nst=1\n"; got != want {
		t.Errorf("got %q, want %q (stderr %q)", got, want, stderr.String())
	}
}

// TestTimeout: the clock moves to the timeout only once the command and
// the timer both wait.
func TestTimeout(t *testing.T) {
	tests := []struct {
		script, want string
	}{
		{"timeout 1 sleep 5; echo st=$?", "st=143\n"},
		{"timeout -s KILL 1 sleep 5; echo st=$?", "st=137\n"},
	}
	for _, tt := range tests {
		t.Run(tt.script, func(t *testing.T) {
			m := newMachine(t, fixture(), start)
			var stdout, stderr syncBuffer
			p := m.start([]string{"sh", "-c", tt.script}, nil, &stdout, &stderr)
			m.clock.WaitTimers(2, nil)
			m.clock.Advance(time.Second)
			p.Wait()
			if got := stdout.String(); got != tt.want {
				t.Errorf("got %q, want %q (stderr %q)", got, tt.want, stderr.String())
			}
		})
	}
}

// TestTimeoutInTime: a command that ends before its time keeps its
// status (the clock stands still here, so the timer cannot win).
func TestTimeoutInTime(t *testing.T) {
	m := newMachine(t, fixture(), start)
	var stdout, stderr syncBuffer
	p := m.start([]string{"sh", "-c", "timeout 5 false; echo st=$?"}, nil, &stdout, &stderr)
	p.Wait()
	if got, want := stdout.String(), "st=1\n"; got != want {
		t.Errorf("got %q, want %q (stderr %q)", got, want, stderr.String())
	}
}

// TestTop: top -b -n 1 prints busybox's frame over the process table.
func TestTop(t *testing.T) {
	m := newMachine(t, fixture(), start)
	o := m.runFrozen("sleep 5 & top -b -n 1")
	lines := strings.Split(o.stdout, "\n")
	want := []string{
		"Mem: 0K used, 0K free, 0K shrd, 0K buff, 0K cached",
		"CPU:   0% usr   0% sys   0% nic 100% idle   0% io   0% irq   0% sirq",
		"Load average: 0.00 0.00 0.00 1/2 2",
		"  PID  PPID USER     STAT   VSZ %VSZ %CPU COMMAND",
	}
	if len(lines) < 6 || strings.Join(lines[:4], "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant it to start with\n%s", o.stdout, strings.Join(want, "\n"))
	}
	if !strings.HasPrefix(lines[4], "    1     0 root     R ") || !strings.HasSuffix(lines[4], "   0%   0% top -b -n 1") {
		t.Errorf("got %q for top itself", lines[4])
	}
	if !strings.HasSuffix(lines[5], "   0%   0% sleep 5") {
		t.Errorf("got %q for sleep", lines[5])
	}
}
