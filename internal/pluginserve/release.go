package pluginserve

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// The framework's protocol server registers the cancel function of every call's context in a
// list that only StopProvider empties (proto6server.registerContext), so each context, with the
// loggers and fields the SDK attached to it, lives as long as the process: at 1000 webhooks × 5
// steps an apply's provider process grew past 250 MB, the floor's alike. releasingServer hands
// the framework, for the calls made once per resource, a context whose values it drops when the
// call returns; what the list then keeps per call is a few words.

// frameworkServer is every protocol interface the framework's server implements. tf6server
// still finds list resources, actions and state stores by these (deprecated) interfaces, so the
// wrapper must have them too.
type frameworkServer interface {
	tfprotov6.ProviderServerWithListResource //nolint:staticcheck // asserted by tf6server
	tfprotov6.ProviderServerWithActions      //nolint:staticcheck // asserted by tf6server
	tfprotov6.ProviderServerWithStateStores  //nolint:staticcheck // asserted by tf6server
}

type releasingServer struct{ frameworkServer }

// releasing wraps the framework's server, or returns it as it is if it lacks an interface
// (a newer framework than this code knows): retaining memory is better than losing calls.
func releasing(s tfprotov6.ProviderServer) tfprotov6.ProviderServer {
	fs, ok := s.(frameworkServer)
	if !ok {
		return s
	}
	return releasingServer{fs}
}

func (s releasingServer) ValidateResourceConfig(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return callReleasing(ctx, req, s.frameworkServer.ValidateResourceConfig)
}

func (s releasingServer) UpgradeResourceState(ctx context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	return callReleasing(ctx, req, s.frameworkServer.UpgradeResourceState)
}

func (s releasingServer) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return callReleasing(ctx, req, s.frameworkServer.ReadResource)
}

func (s releasingServer) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	return callReleasing(ctx, req, s.frameworkServer.PlanResourceChange)
}

func (s releasingServer) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	return callReleasing(ctx, req, s.frameworkServer.ApplyResourceChange)
}

// callReleasing makes a framework call with a context whose values are dropped when it returns.
func callReleasing[Req, Resp any](ctx context.Context, req Req, call func(context.Context, Req) (Resp, error)) (Resp, error) {
	c := newReleasable(ctx)
	defer c.release()
	return call(c, req)
}

// releasableContext is its parent until release; then it keeps the parent's Done channel and
// deadline, and no value.
type releasableContext struct {
	parent      atomic.Pointer[context.Context]
	done        <-chan struct{}
	deadline    time.Time
	hasDeadline bool
}

func newReleasable(parent context.Context) *releasableContext {
	c := &releasableContext{done: parent.Done()}
	c.deadline, c.hasDeadline = parent.Deadline()
	c.parent.Store(&parent)
	return c
}

func (c *releasableContext) release() { c.parent.Store(nil) }

func (c *releasableContext) Deadline() (time.Time, bool) { return c.deadline, c.hasDeadline }

func (c *releasableContext) Done() <-chan struct{} { return c.done }

func (c *releasableContext) Err() error {
	if p := c.parent.Load(); p != nil {
		return (*p).Err()
	}
	select {
	case <-c.done:
		return context.Canceled
	default:
		return nil
	}
}

func (c *releasableContext) Value(key any) any {
	if p := c.parent.Load(); p != nil {
		return (*p).Value(key)
	}
	return nil
}
