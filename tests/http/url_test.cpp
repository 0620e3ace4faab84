// parse_url, origins, reference resolution and loopback detection.
#include "http/url.h"

#include <gtest/gtest.h>

#include <string>

namespace ecrhelm::http {
namespace {

Url must_parse(std::string_view text) {
  auto u = parse_url(text);
  EXPECT_TRUE(u.has_value()) << text;
  return u.value_or(Url{});
}

TEST(ParseUrl, DefaultPorts) {
  Url https = must_parse("https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/");
  EXPECT_EQ(https.scheme, "https");
  EXPECT_EQ(https.host, "123456789012.dkr.ecr.us-east-1.amazonaws.com");
  EXPECT_EQ(https.port, 443);
  EXPECT_FALSE(https.explicit_port);
  EXPECT_EQ(https.path, "/v2/");
  EXPECT_EQ(https.query, "");
  EXPECT_EQ(https.authority(), "123456789012.dkr.ecr.us-east-1.amazonaws.com");

  Url http = must_parse("http://example.com");
  EXPECT_EQ(http.port, 80);
  EXPECT_EQ(http.path, "/");
  EXPECT_EQ(http.origin(), "http://example.com");
}

TEST(ParseUrl, ExplicitPorts) {
  Url u = must_parse("http://127.0.0.1:5000/v2/_catalog");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 5000);
  EXPECT_TRUE(u.explicit_port);
  EXPECT_EQ(u.authority(), "127.0.0.1:5000");
  EXPECT_EQ(u.origin(), "http://127.0.0.1:5000");

  Url same_as_default = must_parse("https://h:443/");
  EXPECT_EQ(same_as_default.port, 443);
  EXPECT_TRUE(same_as_default.explicit_port);
  EXPECT_EQ(same_as_default.authority(), "h:443");

  EXPECT_EQ(must_parse("http://h:1").port, 1);
  EXPECT_EQ(must_parse("http://h:65535").port, 65535);
}

TEST(ParseUrl, SchemeAndHostAreLowerCased) {
  Url u = must_parse("HTTPS://Registry.Example.COM/Path/Keeps/Case?Q=V");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "registry.example.com");
  EXPECT_EQ(u.path, "/Path/Keeps/Case");
  EXPECT_EQ(u.query, "Q=V");
}

TEST(ParseUrl, Ipv6Literals) {
  Url u = must_parse("http://[::1]:8080/x");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.authority(), "[::1]:8080");
  EXPECT_EQ(u.origin(), "http://[::1]:8080");

  Url v = must_parse("https://[2001:DB8::1]/");
  EXPECT_EQ(v.host, "2001:db8::1");
  EXPECT_EQ(v.port, 443);
  EXPECT_EQ(v.authority(), "[2001:db8::1]");

  EXPECT_FALSE(parse_url("http://[::1/x"));   // no closing bracket
  EXPECT_FALSE(parse_url("http://[::1]x/"));  // junk after the bracket
  EXPECT_FALSE(parse_url("http://[]/"));      // empty literal
}

TEST(ParseUrl, UnbracketedIpv6IsRejected) {
  EXPECT_FALSE(parse_url("http://::1/"));
  EXPECT_FALSE(parse_url("http://2001:db8::1:80/"));
}

TEST(ParseUrl, UserinfoIsDropped) {
  Url u = must_parse("https://user:p%40ss@registry.example.com:8443/v2/?x=1");
  EXPECT_EQ(u.host, "registry.example.com");
  EXPECT_EQ(u.port, 8443);
  EXPECT_EQ(u.path, "/v2/");
  EXPECT_EQ(u.query, "x=1");
  EXPECT_EQ(u.origin(), "https://registry.example.com:8443");
  EXPECT_EQ(must_parse("http://user@h/").host, "h");
  // The last '@' ends the userinfo.
  EXPECT_EQ(must_parse("http://a@b@h/").host, "h");
  EXPECT_FALSE(parse_url("http://user@/"));
}

TEST(ParseUrl, QueryAndFragment) {
  Url u = must_parse("https://h/p/a?b=1&c=%2F#frag?not-query");
  EXPECT_EQ(u.path, "/p/a");
  EXPECT_EQ(u.query, "b=1&c=%2F");

  Url q = must_parse("https://h?only=query");
  EXPECT_EQ(q.path, "/");
  EXPECT_EQ(q.query, "only=query");

  Url f = must_parse("https://h#frag");
  EXPECT_EQ(f.path, "/");
  EXPECT_EQ(f.query, "");

  Url empty_query = must_parse("https://h/p?");
  EXPECT_EQ(empty_query.path, "/p");
  EXPECT_EQ(empty_query.query, "");

  Url f2 = must_parse("https://h/p#a?b");
  EXPECT_EQ(f2.path, "/p");
  EXPECT_EQ(f2.query, "");
}

TEST(ParseUrl, PresignedQueryIsKeptRaw) {
  Url u =
      must_parse("https://bucket.s3.amazonaws.com/blob?X-Amz-Signature=abc%3D&X-Amz-Expires=3600");
  EXPECT_EQ(u.query, "X-Amz-Signature=abc%3D&X-Amz-Expires=3600");
}

TEST(ParseUrl, BadPorts) {
  for (const char* bad : {"http://h:0/", "http://h:65536/", "http://h:99999999999/", "http://h:-1/",
                          "http://h:+80/", "http://h:80a/", "http://h:a/", "http://h:8 0/",
                          "http://[::1]:0/", "http://[::1]:70000/"}) {
    EXPECT_FALSE(parse_url(bad)) << bad;
  }
}

TEST(ParseUrl, EmptyPortMeansTheDefault) {
  // RFC 3986 allows "host:" with an empty port.
  Url u = must_parse("http://h:/x");
  EXPECT_EQ(u.host, "h");
  EXPECT_EQ(u.port, 80);
  EXPECT_FALSE(u.explicit_port);
  EXPECT_EQ(must_parse("http://[::1]:/").port, 80);
}

TEST(ParseUrl, NonHttpSchemesAreRejected) {
  for (const char* bad :
       {"ftp://h/", "file:///etc/passwd", "oci://registry/chart", "ws://h/", "gopher://h/",
        "httpx://h/", "://h/", "h/path", "/just/a/path", "", "http:/h/", "http:h", "mailto:a@b"}) {
    EXPECT_FALSE(parse_url(bad)) << bad;
  }
}

TEST(ParseUrl, BadHosts) {
  for (const char* bad :
       {"http:///path", "http://", "http://:80/", "http://h h/", "http://h\\x/"}) {
    EXPECT_FALSE(parse_url(bad)) << bad;
  }
}

TEST(SameOrigin, SchemeHostAndPortMustMatch) {
  Url a = must_parse("https://registry.example.com/v2/a");
  EXPECT_TRUE(a.same_origin(must_parse("https://registry.example.com/other?x")));
  EXPECT_TRUE(a.same_origin(must_parse("https://REGISTRY.example.com:443/")));
  EXPECT_TRUE(a.same_origin(must_parse("https://user@registry.example.com/")));
  EXPECT_FALSE(a.same_origin(must_parse("http://registry.example.com/")));
  EXPECT_FALSE(a.same_origin(must_parse("https://registry.example.com:8443/")));
  EXPECT_FALSE(a.same_origin(must_parse("https://evil.example.com/")));
  EXPECT_FALSE(a.same_origin(must_parse("https://registry.example.com.evil.com/")));
  EXPECT_FALSE(must_parse("http://h:80/").same_origin(must_parse("https://h:80/")));
  EXPECT_TRUE(must_parse("http://h/").same_origin(must_parse("http://h:80/")));
}

TEST(ResolveReference, Absolute) {
  Url base = must_parse("https://registry.example.com/v2/repo/blobs/sha256:abc");
  EXPECT_EQ(resolve_reference(base, "https://s3.amazonaws.com/bucket/key?sig=1"),
            "https://s3.amazonaws.com/bucket/key?sig=1");
  EXPECT_EQ(resolve_reference(base, "HTTP://other:8080/x"), "HTTP://other:8080/x");
  EXPECT_FALSE(resolve_reference(base, "ftp://other/x"));
  EXPECT_FALSE(resolve_reference(base, "file:///etc/passwd"));
  EXPECT_FALSE(resolve_reference(base, "javascript:alert(1)"));
}

TEST(ResolveReference, SchemeRelative) {
  Url base = must_parse("https://registry.example.com/v2/");
  EXPECT_EQ(resolve_reference(base, "//cdn.example.com/blob"), "https://cdn.example.com/blob");
  Url http_base = must_parse("http://127.0.0.1:5000/v2/");
  EXPECT_EQ(resolve_reference(http_base, "//other:9/x"), "http://other:9/x");
  EXPECT_FALSE(resolve_reference(base, "//"));
}

TEST(ResolveReference, AbsolutePath) {
  Url base = must_parse("https://h:8443/v2/repo/tags/list?n=10");
  EXPECT_EQ(resolve_reference(base, "/v2/repo/tags/list?n=10&last=v1"),
            "https://h:8443/v2/repo/tags/list?n=10&last=v1");
  EXPECT_EQ(resolve_reference(base, "/"), "https://h:8443/");
}

TEST(ResolveReference, AbsolutePathWithAUrlInItsQuery) {
  // Not an absolute URL: the scheme-looking text is inside the query.
  Url base = must_parse("https://registry.example.com/v2/");
  EXPECT_EQ(resolve_reference(base, "/token?realm=https://auth.example.com/x"),
            "https://registry.example.com/token?realm=https://auth.example.com/x");
  EXPECT_EQ(resolve_reference(base, "next?u=http://x"),
            "https://registry.example.com/v2/next?u=http://x");
}

TEST(ResolveReference, RelativePath) {
  Url base = must_parse("https://h/v2/repo/manifests/latest");
  EXPECT_EQ(resolve_reference(base, "sha256-abc"), "https://h/v2/repo/manifests/sha256-abc");
  // RFC 3986 4.2: a colon in the first segment makes it a scheme, not a path.
  EXPECT_FALSE(resolve_reference(base, "sha256:abc"));
  EXPECT_EQ(resolve_reference(base, "x/y"), "https://h/v2/repo/manifests/x/y");
  Url dir = must_parse("https://h/v2/");
  EXPECT_EQ(resolve_reference(dir, "_catalog"), "https://h/v2/_catalog");
  Url root = must_parse("https://h");
  EXPECT_EQ(resolve_reference(root, "a"), "https://h/a");
}

TEST(ResolveReference, QueryOnly) {
  Url base = must_parse("https://h:9000/v2/repo/tags/list?n=10");
  EXPECT_EQ(resolve_reference(base, "?n=10&last=b"),
            "https://h:9000/v2/repo/tags/list?n=10&last=b");
}

TEST(ResolveReference, EmptyAndFragmentOnlyMeanTheBase) {
  Url base = must_parse("https://h/v2/repo/tags/list?n=10");
  EXPECT_EQ(resolve_reference(base, ""), "https://h/v2/repo/tags/list?n=10");
  EXPECT_EQ(resolve_reference(base, "#top"), "https://h/v2/repo/tags/list?n=10");
}

TEST(ResolveReference, Ipv6BaseKeepsBrackets) {
  Url base = must_parse("http://[::1]:5000/v2/x");
  EXPECT_EQ(resolve_reference(base, "/v2/y"), "http://[::1]:5000/v2/y");
}

TEST(IsLoopbackHost, Cases) {
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.1.2.3"));
  EXPECT_TRUE(is_loopback_host("127.255.255.255"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_TRUE(is_loopback_host("0:0:0:0:0:0:0:1"));
  EXPECT_FALSE(is_loopback_host("128.0.0.1"));
  EXPECT_FALSE(is_loopback_host("126.255.255.255"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
  EXPECT_FALSE(is_loopback_host("0.0.0.0"));
  EXPECT_FALSE(is_loopback_host("::"));
  EXPECT_FALSE(is_loopback_host("::2"));
  EXPECT_FALSE(is_loopback_host("127.0.0.1.evil.com"));
  EXPECT_FALSE(is_loopback_host("localhost.evil.com"));
  EXPECT_FALSE(is_loopback_host("evil-localhost"));
  EXPECT_FALSE(is_loopback_host(""));
  EXPECT_FALSE(is_loopback_host("example.com"));
}

TEST(IsLoopbackHost, WorksOnParsedHosts) {
  EXPECT_TRUE(is_loopback_host(must_parse("http://LOCALHOST:8080/").host));
  EXPECT_TRUE(is_loopback_host(must_parse("http://[::1]:8080/").host));
  EXPECT_TRUE(is_loopback_host(must_parse("http://127.0.0.1/").host));
}

}  // namespace
}  // namespace ecrhelm::http
