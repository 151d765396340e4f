using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Hardening;

/// <summary>
/// <c>LbProxy.ServerLimits.MaxConcurrentConnections</c>: idle kept-alive connections count, a connection past the cap is
/// closed without being served, and a place freed is taken again.
/// </summary>
public class ConnectionCapTests
{
    [Fact]
    public async Task IdleConnections_AboveCap_ClosedUntilOneLeaves()
    {
        await using var backend = new CountingBackend();
        await using var gateway = await GatewayUnderTest.StartAsync(HardenedConfig.For(backend.Url, """ "ServerLimits": { "MaxConcurrentConnections": 4 } """));
        var url = new Uri(gateway.Host.ProxyUrls[0]);
        var idle = new List<RawClient>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var client = await RawClient.ConnectAsync(url);
                idle.Add(client);
                await client.SendAsync($"GET /idle/{i} HTTP/1.1\r\nHost: gw\r\n\r\n");
                Assert.Equal(200, RawClient.Status(await client.ReadResponseAsync())); // then it sits idle, kept alive
            }

            using (var over = await RawClient.ConnectAsync(url))
            {
                try
                {
                    await over.SendAsync("GET /over HTTP/1.1\r\nHost: gw\r\n\r\n");
                }
                catch (IOException)
                {
                    // already closed
                }

                var answer = await over.ReadToCloseAsync(TimeSpan.FromSeconds(10));
                Assert.True(RawClient.Status(answer) is 0 or 503, $"a connection past the cap was served: {answer}");
            }

            Assert.DoesNotContain("/over", backend.Received, StringComparison.Ordinal);
            idle[0].Dispose();
            idle.RemoveAt(0);
            var served = false;
            for (var attempt = 0; attempt < 50 && !served; attempt++)
            {
                using var again = await RawClient.ConnectAsync(url);
                try
                {
                    await again.SendAsync("GET /again HTTP/1.1\r\nHost: gw\r\n\r\n");
                    served = RawClient.Status(await again.ReadResponseAsync(TimeSpan.FromSeconds(5))) == 200;
                }
                catch (IOException)
                {
                }

                if (!served)
                {
                    await Task.Delay(100); // the freed place is counted once Kestrel sees the close
                }
            }

            Assert.True(served, "no connection was served after one of the idle ones left");
        }
        finally
        {
            idle.ForEach(c => c.Dispose());
        }
    }
}
