#include "support/nginx.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ecrhelm::test {
namespace {

void run_or_throw(const std::vector<std::string>& argv) {
  auto r = run_program(argv, {});
  if (r.exit_code != 0) throw std::runtime_error(argv[0] + " " + argv[1] + " failed: " + r.err);
}

std::string nginx_binary() {
  return ::access("/usr/sbin/nginx", X_OK) == 0 ? "/usr/sbin/nginx" : "nginx";
}

}  // namespace

TestCa make_test_ca(const TempDir& dir) {
  TestCa ca{dir.file("ca.pem"), dir.file("server.pem"), dir.file("server.key")};
  const std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                       "-nodes"};
  std::vector<std::string> req_ca = {"openssl", "req", "-x509"};
  req_ca.insert(req_ca.end(), ec.begin(), ec.end());
  for (const auto& a : {"-keyout", "@ca.key", "-out", "@ca.pem", "-days", "2", "-subj",
                        "/CN=ecrhelm test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                        "-addext", "keyUsage=critical,keyCertSign,cRLSign"}) {
    std::string s = a;
    req_ca.push_back(s.starts_with("@") ? dir.file(s.substr(1)) : s);
  }
  run_or_throw(req_ca);
  std::vector<std::string> req_srv = {"openssl", "req"};
  req_srv.insert(req_srv.end(), ec.begin(), ec.end());
  for (const auto& a :
       {"-keyout", "@server.key", "-out", "@server.csr", "-subj", "/CN=127.0.0.1"}) {
    std::string s = a;
    req_srv.push_back(s.starts_with("@") ? dir.file(s.substr(1)) : s);
  }
  run_or_throw(req_srv);
  std::string ext = dir.write("server.ext",
                              "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                              "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
  run_or_throw({"openssl", "x509", "-req", "-in", dir.file("server.csr"), "-CA", ca.ca_file,
                "-CAkey", dir.file("ca.key"), "-set_serial", "2", "-days", "2", "-out",
                ca.cert_file, "-extfile", ext});
  return ca;
}

NginxServer::NginxServer(const std::string& locations, const TestCa* tls) {
  std::filesystem::create_directories(dir_.file("tmp"));
  std::string error_log = dir_.file("error.log");
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_port();
    std::ostringstream conf;
    // As root, nginx's workers would switch to nobody and could not use this
    // 0700 folder; keep them as the user who runs the test.
    if (::geteuid() == 0) conf << "user root root;\n";
    conf << "worker_processes 1;\n"
         << "pid " << dir_.file("nginx.pid") << ";\n"
         << "error_log " << error_log << " warn;\n"
         << "events { worker_connections 256; }\n"
         << "http {\n"
         << "  access_log " << dir_.file("access.log") << ";\n";
    for (const char* t : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"})
      conf << "  " << t << "_temp_path " << dir_.file(std::string("tmp/") + t) << ";\n";
    conf << "  server {\n"
         << "    listen 127.0.0.1:" << port_ << (tls ? " ssl" : "") << ";\n";
    if (tls) {
      conf << "    ssl_certificate " << tls->cert_file << ";\n"
           << "    ssl_certificate_key " << tls->key_file << ";\n";
    }
    conf << "    client_max_body_size 0;\n" << locations << "\n  }\n}\n";
    std::string conf_file = dir_.write("nginx.conf", conf.str());
    proc_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{nginx_binary(), "-p", dir_.path(), "-c", conf_file, "-e",
                                 error_log, "-g", "daemon off;"},
        std::map<std::string, std::string>{}, dir_.file("nginx.out"));
    if (wait_for_port(port_, std::chrono::seconds(10)) && proc_->running()) return;
    proc_.reset();
  }
  std::ifstream log(error_log);
  std::stringstream err;
  err << log.rdbuf();
  throw std::runtime_error("nginx did not start (run scripts/install-deps.sh): " + err.str());
}

NginxServer::~NginxServer() { proc_.reset(); }

std::string NginxServer::access_log() const {
  std::ifstream f(dir_.file("access.log"));
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::unique_ptr<NginxServer> nginx_tls_front(const std::string& upstream_host, const TestCa& ca) {
  return std::make_unique<NginxServer>(
      "    location / {\n"
      "      proxy_pass http://" +
          upstream_host +
          ";\n"
          "      proxy_http_version 1.1;\n"
          "      proxy_set_header Connection \"\";\n"
          "      proxy_set_header Host $http_host;\n"
          "      proxy_set_header X-Forwarded-Proto https;\n"
          "      proxy_buffering off;\n"
          "      proxy_request_buffering off;\n"
          "    }",
      &ca);
}

}  // namespace ecrhelm::test
