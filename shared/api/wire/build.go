package wire

// ImageBuildOptions are the parameters of POST /build, read from its query
// as dockerd 20.10 reads them (the build context is the request's body).
type ImageBuildOptions struct {
	Tags           []string           // t, repeated
	Dockerfile     string             // path of the Dockerfile in the context; "" for "Dockerfile"
	SuppressOutput bool               // q: print only the image ID
	RemoteContext  string             // remote: a URL instead of a context upload
	NoCache        bool               // nocache
	Remove         bool               // rm (default true): remove intermediate containers after a success
	ForceRemove    bool               // forcerm: remove them always
	PullParent     bool               // pull
	Isolation      string             // isolation
	CPUSetCPUs     string             // cpusetcpus
	CPUSetMems     string             // cpusetmems
	CPUShares      int64              // cpushares
	CPUQuota       int64              // cpuquota
	CPUPeriod      int64              // cpuperiod
	Memory         int64              // memory
	MemorySwap     int64              // memswap
	CgroupParent   string             // cgroupparent
	NetworkMode    string             // networkmode
	ShmSize        int64              // shmsize
	BuildArgs      map[string]*string // buildargs; a nil value names an ARG without a value
	Labels         map[string]string  // labels
	CacheFrom      []string           // cachefrom
	ExtraHosts     []string           // extrahosts, repeated
	Squash         bool               // squash (experimental)
	Target         string             // target: the stage to build
	Platform       string             // platform
	Version        string             // version: "1" (classic builder, the default) or "2" (BuildKit)
	SessionID      string             // session
	BuildID        string             // buildid
}
