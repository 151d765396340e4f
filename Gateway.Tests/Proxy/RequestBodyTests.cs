using System.Text;
using Gateway.Proxy;

namespace Gateway.Tests.Proxy;

public class RequestBodyTests
{
    private static async Task<string> ReadAllAsync(Stream stream, int chunk = 3)
    {
        var buffer = new byte[chunk];
        var text = new StringBuilder();
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0)
        {
            text.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }

        return text.ToString();
    }

    [Fact]
    public async Task Rewind_UnderTheLimit_ReplaysTheWholeBody()
    {
        using var body = new RequestBody(new MemoryStream("hello world"u8.ToArray()), 11, replayLimit: 64);
        Assert.Equal("hello world", await ReadAllAsync(body));
        Assert.True(body.Delivered);
        Assert.True(body.Rewind());
        Assert.Equal("hello world", await ReadAllAsync(body, chunk: 4));
    }

    [Fact]
    public async Task Rewind_AfterAPartialRead_ReplaysThenReadsOnFromTheClient()
    {
        using var body = new RequestBody(new MemoryStream("hello world"u8.ToArray()), 11, replayLimit: 64);
        var first = new byte[5];
        Assert.Equal(5, await body.ReadAsync(first));
        Assert.False(body.Delivered);
        Assert.True(body.Rewind());
        Assert.Equal("hello world", await ReadAllAsync(body));
    }

    [Fact]
    public async Task Rewind_OverTheLimit_CannotReplay()
    {
        using var body = new RequestBody(new MemoryStream("hello world"u8.ToArray()), 11, replayLimit: 8);
        Assert.Equal("hello world", await ReadAllAsync(body));
        Assert.False(body.CanReplay);
        Assert.False(body.Rewind());
    }

    [Fact]
    public async Task Rewind_NothingReadYet_IsAllowedWithoutKeeping()
    {
        using var body = new RequestBody(new MemoryStream("abc"u8.ToArray()), 3, replayLimit: 0);
        Assert.True(body.Rewind());
        Assert.Equal("abc", await ReadAllAsync(body));
        Assert.False(body.CanReplay);
    }

    [Fact]
    public async Task Delivered_ClientStopsEarly_StaysFalse()
    {
        using var body = new RequestBody(new MemoryStream("abc"u8.ToArray()), 10, replayLimit: 64);
        var buffer = new byte[2];
        Assert.Equal(2, await body.ReadAsync(buffer));
        Assert.False(body.Delivered);
    }

    [Fact]
    public async Task ZeroByteRead_IsNotTheEndOfTheBody()
    {
        using var body = new RequestBody(new MemoryStream("abc"u8.ToArray()), null, replayLimit: 64);
        Assert.Equal(0, await body.ReadAsync(Memory<byte>.Empty));
        Assert.False(body.Delivered);
        Assert.Equal("abc", await ReadAllAsync(body));
        Assert.True(body.Rewind());
        Assert.Equal(0, await body.ReadAsync(Memory<byte>.Empty));
        Assert.Equal("abc", await ReadAllAsync(body));
    }
}
