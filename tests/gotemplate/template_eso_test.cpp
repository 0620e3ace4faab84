// The template engine as ESO users write templates (Go text/template with
// missingkey=error and sprig): expectations from Go's and sprig's documented
// behaviour.
#include <gtest/gtest.h>

#include "gotemplate/template.h"

namespace ecrhelm::gotemplate {
namespace {

using nlohmann::json;

const json kData = {{"username", "AWS"},
                    {"password", "pa ss"},
                    {"proxy_endpoint", "https://123456789012.dkr.ecr.us-east-1.amazonaws.com"},
                    {"expires_at", "1420070400"},
                    {"list", {"b", "a"}},
                    {"map", {{"z", 1}, {"a", 2}}}};

std::string render(const std::string& text) { return render_template("t", text, kData); }

std::string error_of(const std::string& text) {
  try {
    render(text);
  } catch (const TemplateError& e) {
    return e.what();
  }
  return "no error";
}

struct Case {
  const char* text;
  const char* want;
};

TEST(TemplateEso, RendersLikeGoAndSprig) {
  const Case cases[] = {
      {"{{ .password }}", "pa ss"},
      {"plain text", "plain text"},
      {"a {{- \" b \" -}} c", "a b c"},
      {"a  {{- /* comment */ -}}  c", "ac"},
      {"{{ .username | lower }}", "aws"},
      {"{{ .password | b64enc }}", "cGEgc3M="},
      {"{{ \"cGEgc3M=\" | b64dec }}", "pa ss"},
      {"{{ .password | quote }}", "\"pa ss\""},
      {"{{ .password | squote }}", "'pa ss'"},
      {"{{ .username | upper }}", "AWS"},
      {"{{ \"  x  \" | trim }}", "x"},
      {"{{ .proxy_endpoint | trimPrefix \"https://\" }}",
       "123456789012.dkr.ecr.us-east-1.amazonaws.com"},
      {"{{ \"chart.tgz\" | trimSuffix \".tgz\" }}", "chart"},
      {"{{ .password | replace \" \" \"_\" }}", "pa_ss"},
      {"{{ \"\" | default \"fallback\" }}", "fallback"},
      {"{{ printf \"%s:%s\" .username .password }}", "AWS:pa ss"},
      {"{{ printf \"%d-%q-%x\" 42 \"q\" \"hi\" }}", "42-\"q\"-6869"},
      {"{{ .list | toJson }}", "[\"b\",\"a\"]"},
      {"{{ (\"{\\\"k\\\":\\\"v\\\"}\" | fromJson).k }}", "v"},
      {"{{ .map | toYaml }}", "a: 2\nz: 1"},
      {"{{ \"a\\nb\" | indent 2 }}", "  a\n  b"},
      {"{{ \"a\\nb\" | nindent 2 }}", "\n  a\n  b"},
      {"{{ range $k, $v := .map }}{{ $k }}={{ $v }};{{ end }}", "a=2;z=1;"},
      {"{{ range .list }}[{{ . }}]{{ else }}none{{ end }}", "[b][a]"},
      {"{{ if eq .username \"AWS\" \"aws\" }}yes{{ else }}no{{ end }}", "yes"},
      {"{{ if and .username \"\" }}t{{ else if .password }}p{{ end }}", "p"},
      {"{{ or \"\" .username }}", "AWS"},
      {"{{ with .password }}<{{ . }}>{{ end }}", "<pa ss>"},
      {"{{ $x := .username }}{{ $x }}{{ $x = \"b\" }}{{ $x }}", "AWSb"},
      {"{{ len .list }} {{ index .list 1 }}", "2 a"},
      {"{{ `raw\\n` }}", "raw\\n"},
      {"{\"auths\":{\"{{ .proxy_endpoint | trimPrefix \"https://\" }}\":{\"auth\":\"{{ printf "
       "\"%s:%s\" .username .password | b64enc }}\"}}}",
       "{\"auths\":{\"123456789012.dkr.ecr.us-east-1.amazonaws.com\":{\"auth\":\"QVdTOnBhIHNz\"}}"
       "}"},
  };
  for (const auto& c : cases) {
    try {
      EXPECT_EQ(render(c.text), c.want) << c.text;
    } catch (const std::exception& e) {
      ADD_FAILURE() << c.text << ": " << e.what();
    }
  }
}

TEST(TemplateEso, MissingKeysUnknownFunctionsAndSyntaxAreErrorsNotCrashes) {
  EXPECT_NE(error_of("{{ .nosuchkey }}").find("map has no entry for key \"nosuchkey\""),
            std::string::npos)
      << error_of("{{ .nosuchkey }}");
  EXPECT_NE(error_of("{{ .password | nosuchfunc }}").find("function \"nosuchfunc\" not defined"),
            std::string::npos)
      << error_of("{{ .password | nosuchfunc }}");
  EXPECT_NE(error_of("{{ if }}").find("template: t:1"), std::string::npos) << error_of("{{ if }}");
  EXPECT_NE(error_of("{{ .password ").find("template: t:1"), std::string::npos);
  EXPECT_NE(error_of("{{ range .list }}").find("template: t:1"), std::string::npos);
  // sprig's b64dec answers bad input with Go's error text, not an error.
  EXPECT_EQ(render("{{ \"x\" | b64dec }}"), "illegal base64 data at input byte 0");
  // Work is bounded: a template that would produce unbounded output fails.
  EXPECT_NE(
      error_of("{{ range .list }}{{ range $.list }}{{ \"x\" | repeat 1000000 }}{{ end }}{{ end }}"),
      "no error");
}

// Every error that can come from the data names the template key, the
// position and the function, and describes a value by its type and size,
// never by its content (status messages and Events are readable by anyone
// who may read ExternalSecrets).
TEST(TemplateEso, ErrorsFromTheDataNeverQuoteIt) {
  const std::string pw = "ECR-PASSWORD-leak-check-0123456789";
  const json data = {{"password", pw}, {"list", {pw}}, {"map", {{"k", pw}}}};
  const char* templates[] = {
      "{{ range .password }}x{{ end }}",
      "{{ range $i, $v := len .password }}{{ end }}",
      "{{ eq .list .list }}",
      "{{ eq .map .password }}",
      "{{ ne .map .map }}",
      "{{ lt .password 1 }}",
      "{{ lt .map .map }}",
      "{{ index .password 99 }}",
      "{{ index .list 5 }}",
      "{{ index .password \"k\" }}",
      "{{ index .map 1 }}",
      "{{ index .map.k 100 }}",
      "{{ len 3 }}",
      "{{ .password.field }}",
      "{{ .map.k.x }}",
      "{{ with $x := .password }}{{ $x.y }}{{ end }}",
      "{{ repeat -1 .password }}",
      "{{ .password | repeat 100000000 }}",
      "{{ .password | printf \"%s\" | index 0 }}",
      "{{ trunc .password 3 }}",
      "{{ indent .password .password }}",
      "{{ .map.nokey }}",
      "{{ index .map \"nokey\" | len }}",
  };
  for (const char* text : templates) {
    try {
      std::string out = render_template("password", text, data);
      ADD_FAILURE() << text << " rendered without an error";
    } catch (const TemplateError& e) {
      std::string msg = e.what();
      EXPECT_EQ(msg.find(pw.substr(0, 12)), std::string::npos) << text << ": " << msg;
      EXPECT_EQ(msg.find("template: password:1:"), 0u) << text << ": " << msg;
    }
  }
  std::string range_error;
  try {
    render_template("password", "{{ range .password }}x{{ end }}", data);
  } catch (const TemplateError& e) {
    range_error = e.what();
  }
  EXPECT_NE(range_error.find("range can't iterate over string of 34 bytes"), std::string::npos)
      << range_error;
}

}  // namespace
}  // namespace ecrhelm::gotemplate
