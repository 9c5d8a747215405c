package applets

// mains are the applets' main functions by name.
var mains = map[string]func(c *cmd) int{
	"arch":     archMain,
	"basename": basenameMain,
	"clear":    clearMain,
	"dirname":  dirnameMain,
	"echo":     echoMain,
	"false":    falseMain,
	"groups":   groupsMain,
	"hostname": hostnameMain,
	"id":       idMain,
	"logname":  lognameMain,
	"nproc":    nprocMain,
	"printf":   printfMain,
	"pwd":      pwdMain,
	"seq":      seqMain,
	"sleep":    sleepMain,
	"true":     trueMain,
	"tty":      ttyMain,
	"uname":    unameMain,
	"usleep":   usleepMain,
	"whoami":   whoamiMain,
	"yes":      yesMain,
}
