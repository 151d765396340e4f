using System.Text.Json.Nodes;

namespace Benchmarks.PolicyLoad;

/// <summary>Equivalent balancer configs for the gateway and nginx over the same backends.</summary>
internal static class PolicyLoadConfigs
{
    public static string Gateway(string policy, IReadOnlyList<int> backends)
    {
        var destinations = new JsonObject();
        for (var i = 0; i < backends.Count; i++)
        {
            destinations[$"b{i}"] = new JsonObject { ["Address"] = $"http://127.0.0.1:{backends[i]}" };
        }

        var cluster = new JsonObject { ["LoadBalancingPolicy"] = policy, ["Destinations"] = destinations };
        if (policy == "ConsistentHash")
        {
            cluster["Metadata"] = new JsonObject { ["HashKey"] = "path" };
        }

        return new JsonObject
        {
            ["ReverseProxy"] = new JsonObject
            {
                ["Routes"] = new JsonObject { ["all"] = new JsonObject { ["ClusterId"] = "c", ["Match"] = new JsonObject { ["Path"] = "/{**all}" } } },
                ["Clusters"] = new JsonObject { ["c"] = cluster },
            },
        }.ToJsonString();
    }

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
