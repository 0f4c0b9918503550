package pluginserve

import (
	"context"
	"errors"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

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
