package server

import "net/http"

// table is the routing table, in dockerd 20.10's order (container, image,
// system, volume, build and network routers): the first route that matches wins. Patterns have
// at most one variable, which matches any text, slashes included.
//
// Swarm, plugins, sessions and the distribution routes are not served; their paths answer 404 "page not found", and 501 where a
// route is listed with notImplemented.
func (h *Handler) table() []route {
	const (
		get  = http.MethodGet
		head = http.MethodHead
		post = http.MethodPost
		put  = http.MethodPut
		del  = http.MethodDelete
		opt  = http.MethodOptions
	)
	return []route{
		// Containers.
		newRoute(head, "/containers/{name}/archive", h.containerArchiveHead),
		newRoute(get, "/containers/json", h.containerList),
		newRoute(get, "/containers/{name}/export", h.containerExport),
		newRoute(get, "/containers/{name}/changes", h.containerChanges),
		newRoute(get, "/containers/{name}/json", h.containerInspect),
		newRoute(get, "/containers/{name}/top", h.containerTop),
		newRoute(get, "/containers/{name}/logs", h.containerLogs),
		newRoute(get, "/containers/{name}/stats", h.containerStats),
		newRoute(get, "/containers/{name}/attach/ws", notImplemented("GET /containers/{name}/attach/ws")),
		newRoute(get, "/exec/{id}/json", h.execInspect),
		newRoute(get, "/containers/{name}/archive", h.containerArchiveGet),
		newRoute(post, "/containers/create", h.containerCreate),
		newRoute(post, "/containers/{name}/kill", h.containerKill),
		newRoute(post, "/containers/{name}/pause", h.containerPause),
		newRoute(post, "/containers/{name}/unpause", h.containerUnpause),
		newRoute(post, "/containers/{name}/restart", h.containerRestart),
		newRoute(post, "/containers/{name}/start", h.containerStart),
		newRoute(post, "/containers/{name}/stop", h.containerStop),
		newRoute(post, "/containers/{name}/wait", h.containerWait),
		newRoute(post, "/containers/{name}/resize", h.containerResize),
		newRoute(post, "/containers/{name}/attach", h.containerAttach),
		newRoute(post, "/containers/{name}/copy", h.containerCopy),
		newRoute(post, "/containers/{name}/exec", h.execCreate),
		newRoute(post, "/exec/{name}/start", h.execStart),
		newRoute(post, "/exec/{name}/resize", h.execResize),
		newRoute(post, "/containers/{name}/rename", h.containerRename),
		newRoute(post, "/containers/{name}/update", h.containerUpdate),
		newRoute(post, "/containers/prune", h.containersPrune),
		newRoute(post, "/commit", h.commit),
		newRoute(put, "/containers/{name}/archive", h.containerArchivePut),
		newRoute(del, "/containers/{name}", h.containerRemove),

		// Images.
		newRoute(get, "/images/json", h.imageList),
		newRoute(get, "/images/search", notImplemented("GET /images/search")),
		newRoute(get, "/images/get", h.imageGet),
		newRoute(get, "/images/{name}/get", h.imageGetNamed),
		newRoute(get, "/images/{name}/history", h.imageHistory),
		newRoute(get, "/images/{name}/json", h.imageInspect),
		newRoute(post, "/images/load", h.imageLoad),
		newRoute(post, "/images/create", h.imageCreate),
		newRoute(post, "/images/{name}/push", h.imagePush),
		newRoute(post, "/images/{name}/tag", h.imageTag),
		newRoute(post, "/images/prune", h.imagesPrune),
		newRoute(del, "/images/{name}", h.imageRemove),

		// System.
		newRoute(opt, "/{anyroute}", h.options),
		newRoute(get, "/_ping", h.ping),
		newRoute(head, "/_ping", h.ping),
		newRoute(get, "/events", h.events),
		newRoute(get, "/info", h.info),
		newRoute(get, "/version", h.version),
		newRoute(get, "/system/df", h.diskUsage),
		newRoute(post, "/auth", notImplemented("POST /auth")),

		// Volumes.
		newRoute(get, "/volumes", h.volumeList),
		newRoute(get, "/volumes/{name}", h.volumeInspect),
		newRoute(post, "/volumes/create", h.volumeCreate),
		newRoute(post, "/volumes/prune", h.volumesPrune),
		newRoute(del, "/volumes/{name}", h.volumeRemove),

		// Build.
		newRoute(post, "/build", h.build),
		newRoute(post, "/build/prune", h.buildPrune),
		newRoute(post, "/build/cancel", notImplemented("POST /build/cancel")),

		// Networks, whose router dockerd adds last.
		newRoute(get, "/networks", h.networkList),
		newRoute(get, "/networks/", h.networkList),
		newRoute(get, "/networks/{id}", h.networkInspect),
		newRoute(post, "/networks/create", h.networkCreate),
		newRoute(post, "/networks/{id}/connect", h.networkConnect),
		newRoute(post, "/networks/{id}/disconnect", h.networkDisconnect),
		newRoute(post, "/networks/prune", h.networksPrune),
		newRoute(del, "/networks/{id}", h.networkRemove),
	}
}
