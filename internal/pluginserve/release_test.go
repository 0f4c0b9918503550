package pluginserve

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/dataverse-terraform/terraform-provider-dataverse/internal/provider"
)

// The wrapper applies to the framework this module builds with.
func TestTheFrameworksServerIsWrapped(t *testing.T) {
	t.Parallel()
	s := releasing(providerserver.NewProtocol6(provider.New("test")())())
	if _, ok := s.(releasingServer); !ok {
		t.Fatalf("releasing returned %T: the framework's server lacks an interface the wrapper expects", s)
	}
	if _, ok := s.(tfprotov6.ProviderServerWithListResource); !ok { //nolint:staticcheck // what tf6server asserts
		t.Error("the wrapped server hides list resources")
	}
}

type ctxKey struct{}

// retainingServer keeps every context it is given, as the framework's server does.
type retainingServer struct {
	frameworkServer
	kept []context.Context
}

func (r *retainingServer) ReadResource(ctx context.Context, _ *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	r.kept = append(r.kept, ctx)
	if ctx.Value(ctxKey{}) != "logger" {
		return nil, errors.New("the call does not see its context's values")
	}
	return &tfprotov6.ReadResourceResponse{}, nil
}

func TestAContextKeptAfterItsCallHoldsNoValues(t *testing.T) {
	t.Parallel()
	down := &retainingServer{}
	s := releasingServer{down}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "logger"))
	if _, err := s.ReadResource(parent, &tfprotov6.ReadResourceRequest{}); err != nil {
		t.Fatal(err)
	}
	kept := down.kept[0]
	if v := kept.Value(ctxKey{}); v != nil {
		t.Errorf("the kept context still holds %v", v)
	}
	if kept.Err() != nil {
		t.Errorf("Err = %v before the parent ends", kept.Err())
	}
	cancel()
	<-kept.Done()
	if !errors.Is(kept.Err(), context.Canceled) {
		t.Errorf("Err = %v after the parent ended, want Canceled", kept.Err())
	}
}

// heapAfter runs calls validations of a step through s, each with a context holding 16 kB, as
// the SDK's loggers do, and returns the live heap afterwards.
func heapAfter(t *testing.T, s tfprotov6.ProviderServer, calls int) uint64 {
	t.Helper()
	typ := tftypes.Object{AttributeTypes: map[string]tftypes.Type{}}
	cfg, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, map[string]tftypes.Value{}))
	if err != nil {
		t.Fatal(err)
	}
	for range calls {
		ctx, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, make([]byte, 16<<10)))
		// An empty configuration fails to decode; the framework registers the context first.
		_, _ = s.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{TypeName: "dataverse_webhook_step", Config: &cfg})
		cancel()
	}
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// Through the framework's own server, a thousand calls keep their contexts' 16 MB alive
// unwrapped, and next to nothing wrapped.
func TestTheFrameworkKeepsNoCallsValuesThroughTheWrapper(t *testing.T) {
	const calls = 1000
	newServer := providerserver.NewProtocol6(provider.New("test")())
	base := heapAfter(t, releasing(newServer()), 0)
	wrapped := releasing(newServer())
	withWrapper := heapAfter(t, wrapped, calls)
	unwrapped := newServer()
	without := heapAfter(t, unwrapped, calls)
	t.Logf("live heap after %d calls: %d kB wrapped, %d kB unwrapped (from %d kB)", calls, withWrapper>>10, without>>10, base>>10)
	if without < base+calls*16<<10 {
		t.Skipf("the framework no longer keeps call contexts (%d kB after %d calls): the wrapper may go", without>>10, calls)
	}
	if withWrapper > base+calls*2<<10 {
		t.Errorf("wrapped, %d calls left %d kB live, want under %d kB", calls, (withWrapper-base)>>10, calls*2)
	}
	runtime.KeepAlive(wrapped)
	runtime.KeepAlive(unwrapped)
}
