namespace Benchmarks.PolicyLoad;

/// <summary>nginx's balancer config over the same backends as the gateway's (ProxyConfigs.Gateway).</summary>
internal static class PolicyLoadConfigs
{
    /// <summary>nginx with the given upstream method line ("" = round-robin, "least_conn;", "random two least_conn;", "hash $request_uri consistent;").</summary>
    public static string Nginx(string dir, int port, string method, IReadOnlyList<int> backends) => $$"""
        worker_processes auto;
        pid {{dir}}/lb.pid;
        error_log {{dir}}/lb.err warn;
        events { worker_connections 4096; }
        http {
          access_log off;
          upstream backends {
            {{method}}
            {{string.Join("\n    ", backends.Select(p => $"server 127.0.0.1:{p};"))}}
            keepalive 64;
          }
          server {
            listen 127.0.0.1:{{port}};
            location / {
              proxy_pass http://backends;
              proxy_http_version 1.1;
              proxy_set_header Connection "";
            }
          }
        }

        """;
}
