// nri-test-plugin: an NRI plugin for cri-ts's integration tests, built on
// containerd/nri's own Go module (its stub, API types, multiplexer and
// ttrpc), so cri-ts is tested against the protocol as real plugins speak it.
//
// Default mode is a stub plugin: it writes every event it sees as a JSON line
// to -events, and acts on container annotations:
//
//	nri-test/adjust: "true"        env, annotation, tmpfs mount, device, rlimit,
//	                               createRuntime hook and memory limit adjustments
//	nri-test/hook-file: PATH       where that hook writes the OCI state it reads
//	nri-test.NAME/fail: MESSAGE    plugin NAME answers CreateContainer with this error
//	nri-test.NAME/hang: "true"     plugin NAME does not answer CreateContainer in time
//	nri-test.NAME/crash: "true"    plugin NAME exits in CreateContainer
//	nri-test/update: ID            CreateContainer asks to update container ID's CPU shares
//	nri-test/unsolicited-shares: N after StartContainer, an unsolicited UpdateContainers
//	                               sets the container's own CPU shares to N
//
// With -raw it serves the Plugin API itself (no stub), to do what the stub
// cannot: evict containers (nri-test/evict: ID in a CreateContainer answer,
// nri-test/evict-unsolicited: ID through UpdateContainers) and answer
// RemoveContainer UNIMPLEMENTED, as plugins older than that call do.
//
// A pod annotated nri-test/fail-run: MESSAGE is refused in RunPodSandbox.
//
// Run by the runtime (from its plugin_path) it connects over the socket it is
// handed, and its configuration "events=PATH" names the events file;
// otherwise it dials -socket.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/containerd/nri/pkg/api"
	"github.com/containerd/nri/pkg/net/multiplex"
	"github.com/containerd/nri/pkg/stub"
	"github.com/containerd/ttrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

var (
	socketPath = flag.String("socket", api.DefaultSocketPath, "NRI socket to connect to")
	name       = flag.String("name", "test-plugin", "plugin name")
	idx        = flag.String("idx", "50", "plugin index")
	eventsFile = flag.String("events", "", "file the events are appended to as JSON lines")
	raw        = flag.Bool("raw", false, "serve the Plugin API without the stub (evictions, old-plugin fallbacks)")

	logMu  sync.Mutex
	logOut *os.File
)

type event struct {
	Event         string            `json:"event"`
	PodID         string            `json:"podId,omitempty"`
	PodName       string            `json:"podName,omitempty"`
	ContainerID   string            `json:"containerId,omitempty"`
	ContainerName string            `json:"containerName,omitempty"`
	State         string            `json:"state,omitempty"`
	Pods          []string          `json:"pods,omitempty"`
	Containers    []string          `json:"containers,omitempty"`
	Detail        map[string]string `json:"detail,omitempty"`
}

// The plugin's name: the runtime's when it started the plugin, else -name.
func pluginName() string {
	if n := os.Getenv(api.PluginNameEnvVar); n != "" {
		return n
	}
	return *name
}

func openEvents(path string) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	logMu.Lock()
	logOut = f
	logMu.Unlock()
}

func record(e event) {
	logMu.Lock()
	defer logMu.Unlock()
	if logOut == nil {
		return
	}
	line, _ := json.Marshal(e)
	logOut.Write(append(line, '\n'))
}

func containerEvent(kind string, pod *api.PodSandbox, ctr *api.Container) event {
	return event{Event: kind, PodID: pod.GetId(), PodName: pod.GetName(), ContainerID: ctr.GetId(), ContainerName: ctr.GetName(), State: ctr.GetState().String()}
}

func ids[T interface{ GetId() string }](items []T) []string {
	out := []string{}
	for _, i := range items {
		out = append(out, i.GetId())
	}
	return out
}

// stubPlugin is the default mode, on containerd/nri's stub.
type stubPlugin struct {
	stub stub.Stub
}

func (p *stubPlugin) Configure(_ context.Context, config, runtime, version string) (api.EventMask, error) {
	if path, ok := strings.CutPrefix(strings.TrimSpace(config), "events="); ok && logOut == nil {
		openEvents(path)
	}
	record(event{Event: "Configure", Detail: map[string]string{"config": config, "runtime": runtime, "version": version}})
	return 0, nil
}

func (p *stubPlugin) Synchronize(_ context.Context, pods []*api.PodSandbox, ctrs []*api.Container) ([]*api.ContainerUpdate, error) {
	record(event{Event: "Synchronize", Pods: ids(pods), Containers: ids(ctrs)})
	return nil, nil
}

func (p *stubPlugin) RunPodSandbox(_ context.Context, pod *api.PodSandbox) error {
	record(event{Event: "RunPodSandbox", PodID: pod.GetId(), PodName: pod.GetName(), Detail: map[string]string{"ips": fmt.Sprint(pod.GetIps()), "pid": fmt.Sprint(pod.GetPid())}})
	if msg := pod.GetAnnotations()["nri-test/fail-run"]; msg != "" {
		return errors.New(msg)
	}
	return nil
}

func (p *stubPlugin) StopPodSandbox(_ context.Context, pod *api.PodSandbox) error {
	record(event{Event: "StopPodSandbox", PodID: pod.GetId(), PodName: pod.GetName()})
	return nil
}

func (p *stubPlugin) RemovePodSandbox(_ context.Context, pod *api.PodSandbox) error {
	record(event{Event: "RemovePodSandbox", PodID: pod.GetId(), PodName: pod.GetName()})
	return nil
}

func (p *stubPlugin) UpdatePodSandbox(_ context.Context, pod *api.PodSandbox, overhead, resources *api.LinuxResources) error {
	record(event{Event: "UpdatePodSandbox", PodID: pod.GetId(), PodName: pod.GetName(), Detail: map[string]string{"cpuShares": fmt.Sprint(resources.GetCpu().GetShares().GetValue())}})
	return nil
}

func (p *stubPlugin) PostUpdatePodSandbox(_ context.Context, pod *api.PodSandbox) error {
	record(event{Event: "PostUpdatePodSandbox", PodID: pod.GetId(), PodName: pod.GetName()})
	return nil
}

func (p *stubPlugin) CreateContainer(ctx context.Context, pod *api.PodSandbox, ctr *api.Container) (*api.ContainerAdjustment, []*api.ContainerUpdate, error) {
	a := ctr.GetAnnotations()
	e := containerEvent("CreateContainer", pod, ctr)
	e.Detail = map[string]string{"env": fmt.Sprint(ctr.GetEnv()), "args": fmt.Sprint(ctr.GetArgs())}
	record(e)
	own := "nri-test." + pluginName() + "/"
	switch {
	case a[own+"fail"] != "":
		return nil, nil, errors.New(a[own+"fail"])
	case a[own+"hang"] == "true":
		deadline, _ := ctx.Deadline()
		time.Sleep(time.Until(deadline) + 3*time.Second)
		return nil, nil, nil
	case a[own+"crash"] == "true":
		os.Exit(3)
	}
	adjust := &api.ContainerAdjustment{}
	if a["nri-test/adjust"] == "true" {
		adjust.AddEnv("NRI_INJECTED", "yes")
		adjust.RemoveEnv("NRI_REMOVE_ME")
		adjust.AddAnnotation("nri-test/adjusted", "yes")
		adjust.AddMount(&api.Mount{Destination: "/nri-tmpfs", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "size=1m"}})
		adjust.AddDevice(&api.LinuxDevice{Path: "/dev/nri-null", Type: "c", Major: 1, Minor: 3, FileMode: api.FileMode(0o666)})
		adjust.AddRlimit("RLIMIT_NOFILE", 1000, 900)
		adjust.SetLinuxMemoryLimit(96 << 20)
		if file := a["nri-test/hook-file"]; file != "" {
			adjust.AddHooks(&api.Hooks{CreateRuntime: []*api.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "cat > " + file}}}})
		}
	}
	var updates []*api.ContainerUpdate
	if id := a["nri-test/update"]; id != "" {
		u := &api.ContainerUpdate{}
		u.SetContainerId(id)
		u.SetLinuxCPUShares(300)
		updates = append(updates, u)
	}
	return adjust, updates, nil
}

func (p *stubPlugin) PostCreateContainer(_ context.Context, pod *api.PodSandbox, ctr *api.Container) error {
	record(containerEvent("PostCreateContainer", pod, ctr))
	return nil
}

func (p *stubPlugin) StartContainer(_ context.Context, pod *api.PodSandbox, ctr *api.Container) error {
	e := containerEvent("StartContainer", pod, ctr)
	e.Detail = map[string]string{"pid": fmt.Sprint(ctr.GetPid())}
	record(e)
	if shares := ctr.GetAnnotations()["nri-test/unsolicited-shares"]; shares != "" {
		n, _ := strconv.ParseUint(shares, 10, 64)
		id := ctr.GetId()
		go func() {
			time.Sleep(500 * time.Millisecond)
			u := &api.ContainerUpdate{}
			u.SetContainerId(id)
			u.SetLinuxCPUShares(n)
			failed, err := p.stub.UpdateContainers([]*api.ContainerUpdate{u})
			record(event{Event: "UpdateContainersDone", ContainerID: id, Detail: map[string]string{"failed": fmt.Sprint(len(failed)), "err": fmt.Sprint(err)}})
		}()
	}
	return nil
}

func (p *stubPlugin) PostStartContainer(_ context.Context, pod *api.PodSandbox, ctr *api.Container) error {
	record(containerEvent("PostStartContainer", pod, ctr))
	return nil
}

func (p *stubPlugin) UpdateContainer(_ context.Context, pod *api.PodSandbox, ctr *api.Container, r *api.LinuxResources) ([]*api.ContainerUpdate, error) {
	e := containerEvent("UpdateContainer", pod, ctr)
	e.Detail = map[string]string{"memory": fmt.Sprint(r.GetMemory().GetLimit().GetValue())}
	record(e)
	return nil, nil
}

func (p *stubPlugin) PostUpdateContainer(_ context.Context, pod *api.PodSandbox, ctr *api.Container) error {
	record(containerEvent("PostUpdateContainer", pod, ctr))
	return nil
}

func (p *stubPlugin) StopContainer(_ context.Context, pod *api.PodSandbox, ctr *api.Container) ([]*api.ContainerUpdate, error) {
	e := containerEvent("StopContainer", pod, ctr)
	e.Detail = map[string]string{"exitCode": fmt.Sprint(ctr.GetExitCode())}
	record(e)
	return nil, nil
}

func (p *stubPlugin) RemoveContainer(_ context.Context, pod *api.PodSandbox, ctr *api.Container) error {
	record(containerEvent("RemoveContainer", pod, ctr))
	return nil
}

// rawPlugin serves api.PluginService directly over the NRI multiplexer.
type rawPlugin struct {
	runtime api.RuntimeService
}

func unimplemented(method string) error { return status.Errorf(codes.Unimplemented, "%s not implemented", method) }

func (p *rawPlugin) Configure(_ context.Context, req *api.ConfigureRequest) (*api.ConfigureResponse, error) {
	record(event{Event: "Configure", Detail: map[string]string{"runtime": req.GetRuntimeName(), "nri": req.GetNRIVersion()}})
	var mask api.EventMask
	mask.Set(api.Event_CREATE_CONTAINER, api.Event_REMOVE_CONTAINER)
	return &api.ConfigureResponse{Events: int32(mask)}, nil
}

func (p *rawPlugin) Synchronize(_ context.Context, req *api.SynchronizeRequest) (*api.SynchronizeResponse, error) {
	record(event{Event: "Synchronize", Pods: ids(req.GetPods()), Containers: ids(req.GetContainers())})
	return &api.SynchronizeResponse{More: req.GetMore()}, nil
}

func (p *rawPlugin) Shutdown(context.Context, *api.Empty) (*api.Empty, error) { return &api.Empty{}, nil }

func (p *rawPlugin) CreateContainer(_ context.Context, req *api.CreateContainerRequest) (*api.CreateContainerResponse, error) {
	record(containerEvent("CreateContainer", req.GetPod(), req.GetContainer()))
	a := req.GetContainer().GetAnnotations()
	rsp := &api.CreateContainerResponse{}
	if id := a["nri-test/evict"]; id != "" {
		rsp.Evict = append(rsp.Evict, &api.ContainerEviction{ContainerId: id, Reason: "evicted by nri-test-plugin"})
	}
	if id := a["nri-test/evict-unsolicited"]; id != "" {
		go func() {
			time.Sleep(300 * time.Millisecond)
			_, err := p.runtime.UpdateContainers(context.Background(), &api.UpdateContainersRequest{Evict: []*api.ContainerEviction{{ContainerId: id, Reason: "unsolicited"}}})
			record(event{Event: "EvictRequested", ContainerID: id, Detail: map[string]string{"err": fmt.Sprint(err)}})
		}()
	}
	return rsp, nil
}

func (p *rawPlugin) StateChange(_ context.Context, e *api.StateChangeEvent) (*api.Empty, error) {
	ev := containerEvent("StateChange", e.GetPod(), e.GetContainer())
	ev.Detail = map[string]string{"event": e.GetEvent().String()}
	record(ev)
	return &api.Empty{}, nil
}

func (p *rawPlugin) RemoveContainer(context.Context, *api.RemoveContainerRequest) (*api.RemoveContainerResponse, error) {
	return nil, unimplemented("RemoveContainer")
}

func (p *rawPlugin) RunPodSandbox(context.Context, *api.RunPodSandboxRequest) (*api.RunPodSandboxResponse, error) {
	return nil, unimplemented("RunPodSandbox")
}
func (p *rawPlugin) UpdatePodSandbox(context.Context, *api.UpdatePodSandboxRequest) (*api.UpdatePodSandboxResponse, error) {
	return nil, unimplemented("UpdatePodSandbox")
}
func (p *rawPlugin) PostUpdatePodSandbox(context.Context, *api.PostUpdatePodSandboxRequest) (*api.PostUpdatePodSandboxResponse, error) {
	return nil, unimplemented("PostUpdatePodSandbox")
}
func (p *rawPlugin) StopPodSandbox(context.Context, *api.StopPodSandboxRequest) (*api.StopPodSandboxResponse, error) {
	return nil, unimplemented("StopPodSandbox")
}
func (p *rawPlugin) RemovePodSandbox(context.Context, *api.RemovePodSandboxRequest) (*api.RemovePodSandboxResponse, error) {
	return nil, unimplemented("RemovePodSandbox")
}
func (p *rawPlugin) PostCreateContainer(context.Context, *api.PostCreateContainerRequest) (*api.PostCreateContainerResponse, error) {
	return nil, unimplemented("PostCreateContainer")
}
func (p *rawPlugin) StartContainer(context.Context, *api.StartContainerRequest) (*api.StartContainerResponse, error) {
	return nil, unimplemented("StartContainer")
}
func (p *rawPlugin) PostStartContainer(context.Context, *api.PostStartContainerRequest) (*api.PostStartContainerResponse, error) {
	return nil, unimplemented("PostStartContainer")
}
func (p *rawPlugin) UpdateContainer(context.Context, *api.UpdateContainerRequest) (*api.UpdateContainerResponse, error) {
	return nil, unimplemented("UpdateContainer")
}
func (p *rawPlugin) PostUpdateContainer(context.Context, *api.PostUpdateContainerRequest) (*api.PostUpdateContainerResponse, error) {
	return nil, unimplemented("PostUpdateContainer")
}
func (p *rawPlugin) StopContainer(context.Context, *api.StopContainerRequest) (*api.StopContainerResponse, error) {
	return nil, unimplemented("StopContainer")
}
func (p *rawPlugin) ValidateContainerAdjustment(context.Context, *api.ValidateContainerAdjustmentRequest) (*api.ValidateContainerAdjustmentResponse, error) {
	return nil, unimplemented("ValidateContainerAdjustment")
}

func runRaw(ctx context.Context) error {
	conn, err := net.Dial("unix", *socketPath)
	if err != nil {
		return err
	}
	mux := multiplex.Multiplex(conn)
	defer mux.Close()
	listener, err := mux.Listen(multiplex.PluginServiceConn)
	if err != nil {
		return err
	}
	server, err := ttrpc.NewServer()
	if err != nil {
		return err
	}
	plugin := &rawPlugin{}
	api.RegisterPluginService(server, plugin)
	runtimeConn, err := mux.Open(multiplex.RuntimeServiceConn)
	if err != nil {
		return err
	}
	client := ttrpc.NewClient(runtimeConn)
	plugin.runtime = api.NewRuntimeClient(client)
	served := make(chan error, 1)
	go func() { served <- server.Serve(ctx, listener) }()
	if _, err := plugin.runtime.RegisterPlugin(ctx, &api.RegisterPluginRequest{PluginName: *name, PluginIdx: *idx}); err != nil {
		return fmt.Errorf("register: %w", err)
	}
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
		return nil
	}
}

func main() {
	flag.Parse()
	if *eventsFile != "" {
		openEvents(*eventsFile)
	}
	ctx := context.Background()
	if *raw {
		if err := runRaw(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "nri-test-plugin:", err)
			os.Exit(1)
		}
		return
	}
	plugin := &stubPlugin{}
	opts := []stub.Option{stub.WithOnClose(func() { os.Exit(0) })}
	// A plugin the runtime started has its name, index and socket in the environment.
	if os.Getenv(api.PluginSocketEnvVar) == "" {
		opts = append(opts, stub.WithPluginName(*name), stub.WithPluginIdx(*idx), stub.WithSocketPath(*socketPath))
	}
	s, err := stub.New(plugin, opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "nri-test-plugin:", err)
		os.Exit(1)
	}
	plugin.stub = s
	if err := s.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "nri-test-plugin:", err)
		os.Exit(1)
	}
}
