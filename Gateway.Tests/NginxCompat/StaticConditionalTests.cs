namespace Gateway.Tests.NginxCompat;

/// <summary>
/// Static files (static.conf) with byte ranges (206, multipart, 416, If-Range) and conditional requests (304, 412)
/// under real nginx and lbproxy-nginx: status, body, and the headers nginx sets or leaves out for each; and whether the
/// connection stays open after each kind of answer (nginx closes it after a 412, though the answer says keep-alive).
/// </summary>
[Collection(NginxDifferential.Name)]
public sealed class StaticConditionalTests
{
    [Fact]
    public async Task StaticFiles_RangesAndConditionals_SameAsNginx()
    {
        var root = Directory.CreateTempSubdirectory("nginx-static-ranges-");
        try
        {
            var notes = Path.Combine(root.FullName, "notes.txt");
            await File.WriteAllTextAsync(notes, "0123456789abcdefghij");
            var page = Path.Combine(root.FullName, "docs", "other-root", "page.html");
            Directory.CreateDirectory(Path.GetDirectoryName(page)!);
            await File.WriteAllTextAsync(page, "<p>other root</p>\n");
            var modified = new DateTimeOffset(new DateTime(2026, 11, 30, 8, 15, 42, DateTimeKind.Utc));
            File.SetLastWriteTimeUtc(notes, modified.UtcDateTime);
            File.SetLastWriteTimeUtc(page, modified.UtcDateTime);
            var lastModified = modified.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            var etag = $"\"{modified.ToUnixTimeSeconds():x}-14\""; // 20 bytes
            foreach (var entry in Directory.EnumerateFileSystemEntries(root.FullName, "*", SearchOption.AllDirectories).Append(root.FullName))
            {
                if (OperatingSystem.IsWindows()) // nginx runs here on Linux only
                {
                    continue;
                }

                File.SetUnixFileMode(entry, Directory.Exists(entry) ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100);
            }

            await using var run = await DifferentialRun.StartAsync("static.conf",
                responseHeaders: ["Content-Type", "Content-Range", "ETag", "Last-Modified", "Accept-Ranges", "X-Static"],
                freshConnections: true);
            run.Replace("/srv/www", root.FullName);
            ProbeRequest With(string target, params (string, string)[] headers) => new(target, Headers: headers);
            ProbeRequest[] requests =
            [
                With("/notes.txt", ("Range", "bytes=2-5")),
                With("/notes.txt", ("Range", "bytes=-3")),
                With("/notes.txt", ("Range", "bytes=15-")),
                With("/notes.txt", ("Range", "bytes=0-")),
                With("/notes.txt", ("Range", "bytes=10-99")),
                With("/notes.txt", ("Range", "bytes=30-")),
                With("/notes.txt", ("Range", "bytes=x")),
                With("/notes.txt", ("Range", "bytes=5-2")),
                With("/notes.txt", ("Range", "bytes=0-1,4-5")),
                With("/notes.txt", ("Range", "bytes=0-9,5-19")), // more than the file in all: the whole file
                With("/notes.txt", ("Range", "items=1-2")),
                With("/notes.txt", ("Range", "bytes=1-2"), ("If-Range", etag)),
                With("/notes.txt", ("Range", "bytes=1-2"), ("If-Range", "\"other\"")),
                With("/notes.txt", ("Range", "bytes=1-2"), ("If-Range", lastModified)),
                With("/notes.txt", ("If-Modified-Since", lastModified)),
                With("/notes.txt", ("If-Modified-Since", "Tue, 01 Dec 2026 00:00:00 GMT")),
                With("/notes.txt", ("If-None-Match", etag)),
                With("/notes.txt", ("If-None-Match", "W/" + etag)),
                With("/notes.txt", ("If-None-Match", "\"a\", " + etag)),
                With("/notes.txt", ("If-None-Match", "*")),
                With("/notes.txt", ("If-None-Match", "\"other\"")),
                With("/notes.txt", ("If-Modified-Since", lastModified), ("If-None-Match", "\"other\"")),
                With("/notes.txt", ("If-None-Match", etag), ("Range", "bytes=1-2")),
                With("/notes.txt", ("If-Unmodified-Since", "Thu, 01 Jan 1970 00:00:00 GMT")),
                With("/notes.txt", ("If-Unmodified-Since", lastModified)),
                With("/notes.txt", ("If-Match", "\"other\"")),
                With("/notes.txt", ("If-Match", etag)),
                new ProbeRequest("/notes.txt", Method: "HEAD", Headers: [("Range", "bytes=3-4")]),
                With("/other-root/page.html", ("Range", "bytes=0-2")),
                With("/other-root/page.html", ("Range", "bytes=99-")),
                With("/other-root/page.html", ("If-None-Match", etag.Replace("-14", "-12", StringComparison.Ordinal))),
                With("/other-root/page.html", ("If-Unmodified-Since", "Thu, 01 Jan 1970 00:00:00 GMT")),
            ];
            string[] firsts =
            [
                "If-Match: \"other\"", "If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT", $"If-None-Match: {etag}",
                "Range: bytes=30-", "Range: bytes=2-3", "",
            ];
            var (nginx, gateway) = await run.CompareAsync(async send =>
            {
                foreach (var r in requests)
                {
                    await send(r);
                }
            }, after: async proxy =>
            {
                var kept = new List<string>();
                foreach (var first in firsts)
                {
                    kept.Add($"{first} -> {await TwoOnOneConnectionAsync(proxy.Ports[0], first)}");
                }

                return kept;
            });

            DifferentialRun.AssertSame(nginx, gateway);
            Assert.StartsWith("206 \"2345\"", nginx[0], StringComparison.Ordinal);
            Assert.Contains(nginx, o => o.StartsWith("206 \"\\r\\n--00000000000000000001\\r\\n", StringComparison.Ordinal));
            Assert.Contains(nginx, o => o.StartsWith("304 ", StringComparison.Ordinal));
            Assert.Contains(nginx, o => o.StartsWith("412 ", StringComparison.Ordinal));
            Assert.Contains(nginx, o => o.StartsWith("416 ", StringComparison.Ordinal));
            Assert.Contains("If-Match: \"other\" -> 412 then closed", nginx);
            Assert.Contains("Range: bytes=2-3 -> 206 then 200", nginx);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
    /// <summary>
    /// A request with <paramref name="header"/> and then a plain one on the same connection, in exact bytes: the two status
    /// codes, or "closed" when the proxy ended the connection after the first answer.
    /// </summary>
    private static async Task<string> TwoOnOneConnectionAsync(int port, string header)
    {
        await using var connection = await RawHttp.ConnectAsync(port);
        await connection.SendGetAsync("/notes.txt", "localhost", header);
        var first = await connection.ReadResponseAsync();
        var second = await connection.SendGetAsync("/notes.txt", "localhost") ? await connection.ReadResponseAsync() : null;
        return $"{first?.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "closed"} then {second?.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "closed"}";
    }
}
