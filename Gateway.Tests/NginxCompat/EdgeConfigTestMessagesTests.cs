using Gateway.Tests.Tls;

namespace Gateway.Tests.NginxCompat;

/// <summary><c>-t</c> on bad TLS, upstream TLS and rate-limit configs: the same [emerg] line and exit code as real nginx.</summary>
[Collection(NginxDifferential.Name)]
public sealed class EdgeConfigTestMessagesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nginx-t-edge-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("events {}\nhttp {\n  server {\n    listen 127.0.0.1:1 ssl;\n    server_name a;\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  server {\n    listen 127.0.0.1:1 ssl;\n    ssl_certificate c.pem;\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  server {\n    listen 127.0.0.1:1;\n    ssl_protocols TLSv1.2 TLSv1.4;\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  server {\n    listen 127.0.0.1:1;\n    location / {\n      proxy_pass https://127.0.0.1:1;\n      proxy_ssl_verify on;\n    }\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  server {\n    listen 127.0.0.1:1;\n    location / {\n      proxy_pass https://127.0.0.1:1;\n      proxy_ssl_certificate c.pem;\n    }\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  server {\n    listen 127.0.0.1:1;\n    location / {\n      proxy_pass https://127.0.0.1:1;\n      proxy_ssl_verify_depth x;\n    }\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  server {\n    listen 127.0.0.1:1;\n    location / {\n      proxy_pass https://127.0.0.1:1;\n      proxy_ssl_verify maybe;\n    }\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  server {\n    listen 127.0.0.1:1;\n    location / {\n      limit_req zone=nope;\n    }\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  limit_req_zone $binary_remote_addr zone=z:1m rate=5r/h;\n}\n")]
    [InlineData("events {}\nhttp {\n  limit_req_zone $binary_remote_addr zone=z:1m;\n}\n")]
    [InlineData("events {}\nhttp {\n  limit_req_zone $binary_remote_addr zone=z:1m rate=1r/s;\n  server {\n    listen 127.0.0.1:1;\n    limit_req zone=z burst=a;\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  limit_req_zone $binary_remote_addr zone=z:1m rate=1r/s;\n  server {\n    listen 127.0.0.1:1;\n    limit_req zone=z fast;\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  limit_conn_zone $binary_remote_addr zone=c:1m;\n  server {\n    listen 127.0.0.1:1;\n    limit_conn c 1;\n    limit_conn_status 600;\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  limit_conn_zone $binary_remote_addr zone=c:1m;\n  server {\n    listen 127.0.0.1:1;\n    limit_conn c x;\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  limit_req_zone $nosuchvar zone=z:1m rate=1r/s;\n}\n")]
    [InlineData("events {}\nhttp {\n  limit_req_zone $binary_remote_addr zone=z:1m rate=1r/s;\n  server {\n    listen 127.0.0.1:1;\n    limit_req_log_level loud;\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  limit_req_zone $binary_remote_addr zone=z:1m rate=1r/s;\n  server {\n    listen 127.0.0.1:1;\n    limit_req zone=z;\n    limit_req zone=z burst=2;\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  limit_conn_zone $binary_remote_addr zone=c:1m;\n  server {\n    listen 127.0.0.1:1;\n    limit_conn c 1;\n    limit_conn c 2;\n  }\n}\n")]
    [InlineData("events {}\nhttp {\n  limit_req_zone $binary_remote_addr zone=z:16k rate=1r/s;\n}\n")]
    [InlineData("events {}\nhttp {\n  limit_conn_zone $binary_remote_addr zone=c:1x;\n}\n")]
    [InlineData("events {}\nhttp {\n  limit_req_zone $binary_remote_addr zone=:1m rate=1r/s;\n}\n")]
    [InlineData("events {}\nhttp {\n  limit_req_zone $binary_remote_addr zone=z:1m rate=0;\n}\n")]
    public async Task TestFlag_BadEdgeConfig_SameEmergLineAndExitCodeAsNginx(string text)
    {
        var conf = Path.Combine(_dir, "nginx.conf");
        await File.WriteAllTextAsync(conf, text);

        var ((nginxCode, nginxOut), (ourCode, ourOut)) = await NginxConfigTest.RunBothAsync(_dir, conf);

        Assert.Equal(1, nginxCode);
        Assert.Equal(nginxCode, ourCode);
        Assert.Equal(NginxConfigTest.Emerg(nginxOut), NginxConfigTest.Emerg(ourOut));
    }
}
