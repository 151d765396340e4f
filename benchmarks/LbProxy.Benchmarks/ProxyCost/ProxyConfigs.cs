using System.Text.Json.Nodes;

namespace Benchmarks.ProxyCost;

/// <summary>The configs each proxy runs with, as their users would write them for this job.</summary>
internal static class ProxyConfigs
{
    /// <summary>One nginx process serving a tiny body on three ports: the backends every proxy shares.</summary>
    public static string NginxBackends(string dir, IReadOnlyList<int> ports) => $$"""
        worker_processes 1;
        pid {{dir}}/backends.pid;
        error_log {{dir}}/backends.err warn;
        events { worker_connections 4096; }
        http {
          access_log off;
          keepalive_requests 1000000;
          {{string.Join("\n  ", ports.Select(p => $"server {{ listen 127.0.0.1:{p}; location / {{ return 200 \"ok\\n\"; }} }}"))}}
        }
        """;

    /// <summary>
    /// nginx as the proxy: worker_processes auto, keepalive 32 to the upstreams (the usual production setting), with an
    /// upstream method line ("" = round-robin, "least_conn;", "random two least_conn;", "hash $request_uri consistent;").
    /// </summary>
    public static string NginxProxy(string dir, int port, IReadOnlyList<int> backends, string method = "") => $$"""
        worker_processes auto;
        pid {{dir}}/proxy.pid;
        error_log {{dir}}/proxy.err warn;
        events { worker_connections 4096; }
        http {
          access_log off;
          keepalive_requests 1000000;
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

    public static string HaProxy(int port, IReadOnlyList<int> backends) => $"""
        global
          maxconn 4096
        defaults
          mode http
          timeout connect 5s
          timeout client 30s
          timeout server 30s
          http-reuse always
        frontend fe
          bind 127.0.0.1:{port}
          default_backend be
        backend be
          balance roundrobin
        {string.Join("\n", backends.Select((p, i) => $"  server b{i} 127.0.0.1:{p}"))}

        """; // HAProxy refuses a file whose last line has no newline

    /// <summary>
    /// The gateway with one policy and everything on (metrics, breakers, retries), no active probes; ConsistentHash
    /// keys on <paramref name="hashKey"/>.
    /// </summary>
    public static string Gateway(string policy, IReadOnlyList<int> backends, string hashKey = "path", string? upstreamClient = null,
        JsonObject? lbProxy = null)
    {
        var destinations = new JsonObject();
        for (var i = 0; i < backends.Count; i++)
        {
            destinations[$"b{i}"] = new JsonObject { ["Address"] = $"http://127.0.0.1:{backends[i]}" };
        }

        var cluster = new JsonObject { ["LoadBalancingPolicy"] = policy, ["Destinations"] = destinations };
        var metadata = new JsonObject();
        if (policy == "ConsistentHash")
        {
            metadata["HashKey"] = hashKey;
        }

        if (upstreamClient is not null)
        {
            metadata["UpstreamClient"] = upstreamClient; // Gateway/Upstream: Lean (the default) or Sockets
        }

        if (metadata.Count > 0)
        {
            cluster["Metadata"] = metadata;
        }

        var root = new JsonObject
        {
            ["ReverseProxy"] = new JsonObject
            {
                ["Routes"] = new JsonObject { ["all"] = new JsonObject { ["ClusterId"] = "c", ["Match"] = new JsonObject { ["Path"] = "/{**all}" } } },
                ["Clusters"] = new JsonObject { ["c"] = cluster },
            },
        };
        if (lbProxy is not null)
        {
            root["LbProxy"] = lbProxy; // proxy-cost --edge: one edge feature on (EdgeTargets)
        }

        return root.ToJsonString();
    }
}
