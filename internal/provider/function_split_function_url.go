package provider

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// functionKeyParameter is the query parameter an Azure Function URL carries its key in, and
// the one Dataverse appends a WebhookKey secret as.
const functionKeyParameter = "code"

// NewSplitFunctionURLFunction returns provider::dataverse::split_function_url.
func NewSplitFunctionURLFunction() function.Function { return splitFunctionURLFunction{} }

type splitFunctionURLFunction struct{}

var splitFunctionURLAttributes = map[string]attr.Type{
	"url": types.StringType,
	"key": types.StringType,
}

func (splitFunctionURLFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "split_function_url"
}

func (splitFunctionURLFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Split an Azure Function URL into the URL without its key and the key",
		MarkdownDescription: "Splits a URL such as the one the Azure portal copies for a function " +
			"(`https://fn.azurewebsites.net/api/orders?code=KEY`) into `url`, the same URL without the `code` query " +
			"parameter, and `key`, the decoded value of `code`. Give `url` to `dataverse_webhook.url` and `key` to the " +
			"write-only `auth_key_wo` with `auth_type = \"WebhookKey\"`: Dataverse adds `?code=` itself on every call, " +
			"and the key never reaches state. (A saved plan file keeps input variables, so a variable holding the whole URL " +
			"is in it; it cannot be ephemeral, since `url` is stored.)\n\n" +
			"Other query parameters stay in `url`, in their order and encoding. The parameter name is matched without " +
			"case, as the Functions host does. `key` is null when the URL has no `code` parameter or an empty one. " +
			"The function fails on a value that is not an absolute `http` or `https` URL, and on a URL with more than one `code`.",
		Parameters: []function.Parameter{
			function.StringParameter{
				Name:                "url",
				MarkdownDescription: "An absolute `http` or `https` URL, usually with a `code` query parameter.",
			},
		},
		Return: function.ObjectReturn{AttributeTypes: splitFunctionURLAttributes},
	}
}

func (splitFunctionURLFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var raw string
	resp.Error = function.ConcatFuncErrors(resp.Error, req.Arguments.Get(ctx, &raw))
	if resp.Error != nil {
		return
	}
	rest, key, err := splitFunctionURL(raw)
	if err != nil {
		resp.Error = function.NewArgumentFuncError(0, err.Error())
		return
	}
	keyValue := types.StringNull()
	if key != "" {
		keyValue = types.StringValue(key)
	}
	obj, diags := types.ObjectValue(splitFunctionURLAttributes, map[string]attr.Value{
		"url": types.StringValue(rest),
		"key": keyValue,
	})
	resp.Error = function.ConcatFuncErrors(resp.Error, function.FuncErrorFromDiags(ctx, diags))
	if resp.Error != nil {
		return
	}
	resp.Error = function.ConcatFuncErrors(resp.Error, resp.Result.Set(ctx, obj))
}

// splitFunctionURL removes the code parameter from raw and returns its decoded value ("" when
// absent). It edits the query text rather than re-encoding it, so every other parameter keeps
// its place and its exact encoding. Errors name the problem but never repeat the URL: it may
// hold the key.
func splitFunctionURL(raw string) (rest, key string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("the value is not a URL: %s", describeURLError(err))
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return "", "", fmt.Errorf("the value must be an absolute http or https URL, such as https://fn.azurewebsites.net/api/orders")
	}
	beforeFragment, fragment, hasFragment := strings.Cut(raw, "#")
	base, query, hasQuery := strings.Cut(beforeFragment, "?")
	if !hasQuery {
		return raw, "", nil
	}
	var kept []string
	found := false
	for _, part := range strings.Split(query, "&") {
		name, value, _ := strings.Cut(part, "=")
		decoded, err := url.QueryUnescape(name)
		if err != nil || !strings.EqualFold(decoded, functionKeyParameter) {
			kept = append(kept, part)
			continue
		}
		if found {
			return "", "", fmt.Errorf("the URL has more than one %q query parameter; keep only the function key", functionKeyParameter)
		}
		found = true
		key, err = url.QueryUnescape(value)
		if err != nil {
			return "", "", fmt.Errorf("the %q query parameter is not validly percent-encoded", functionKeyParameter)
		}
	}
	rest = base
	if len(kept) > 0 {
		rest += "?" + strings.Join(kept, "&")
	}
	if hasFragment {
		rest += "#" + fragment
	}
	return rest, key, nil
}

// describeURLError gives the reason url.Parse failed without the URL it quotes.
func describeURLError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return "it cannot be parsed"
}
