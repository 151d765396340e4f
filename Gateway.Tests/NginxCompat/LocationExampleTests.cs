namespace Gateway.Tests.NginxCompat;

/// <summary>Location precedence, return/add_header/if/set, and virtual hosts, under real nginx and lbproxy-nginx.</summary>
[Collection(NginxDifferential.Name)]
public sealed class LocationExampleTests
{
    /// <summary>add_header text beyond ASCII, from the file and from a request header: nginx writes its UTF-8 bytes.</summary>
    [Fact]
    public async Task AddHeader_NonAsciiText_SameBytesAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("return-add-header-if.conf", responseHeaders: ["X-Name", "X-Echo"]);

        await run.AssertSameAsync(new ProbeRequest("/accent", Headers: [("X-Name", "Jos\u00e9")]), new ProbeRequest("/accent"));
    }

    [Fact]
    public async Task Locations_EveryFormAndItsPrecedence_SameAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("locations.conf", responseHeaders: ["Content-Type"]);

        string[] uris =
        [
            "/", "/index.html", "/images/", "/images/a.gif", "/images/thumbs/x.gif", "/images/b.png", "/static/c.gif", "/static/",
            "/pics/d.jpg", "/x/y.PDF", "/x/y.pdf", "/api/v2/items", "/api/items", "/api/exact", "/api/exact/more", "/documents",
            "/documents/secret", "/documents/secret.gif", "/documentsX", "/IMAGES/a.txt",
        ];
        await run.AssertSameAsync([.. uris.Select(u => new ProbeRequest(u))]);
    }

    [Fact]
    public async Task ReturnAddHeaderIf_AllForms_SameAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("return-add-header-if.conf",
            responseHeaders: ["Content-Type", "Location", "X-Server-Level", "X-Id", "X-Trace", "X-Only-Ok", "X-Always"]);

        await run.AssertSameAsync(
            new ProbeRequest("/text?x=1", Host: "site.test"),
            new ProbeRequest("/created?t=abc"),
            new ProbeRequest("/created"),
            new ProbeRequest("/missing"),
            new ProbeRequest("/moved?a=1&b=2"),
            new ProbeRequest("/moved"),
            new ProbeRequest("/found"),
            new ProbeRequest("/temp"),
            new ProbeRequest("/agent", Headers: [("User-Agent", "Googlebot/2.1")]),
            new ProbeRequest("/agent?debug=1", Headers: [("User-Agent", "curl")]),
            new ProbeRequest("/agent?debug=0", Headers: [("User-Agent", "curl")]),
            new ProbeRequest("/capture/alice/42"),
            new ProbeRequest("/capture/alice"),
            new ProbeRequest("/other", Headers: [("X-Block", "1")]),
            new ProbeRequest("/other"),
            new ProbeRequest("/drop"));
    }

    [Fact]
    public async Task VirtualHosts_ServerNameForms_SameServerAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("virtual-hosts.conf");

        string[] hosts =
        [
            "first.example.com", "www.example.com", "example.com", "EXAMPLE.com", "shop.example.com", "v1.api.example.com",
            "mail.test", "acme.tenants.test", "unknown.test", "127.0.0.1", "other.test",
        ];
        await run.AssertSameAsync([
            .. hosts.Select(h => new ProbeRequest("/", Host: h)),
            .. hosts.Select(h => new ProbeRequest("/", Host: h, Listen: 1))]);
    }

    [Fact]
    public async Task AccessLog_FormatsInheritanceAndOff_SameLinesAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("access-log.conf");
        ProbeRequest[] requests =
        [
            new("/?q=1", Headers: [("User-Agent", "probe \"quoted\" agent")]), new("/quiet"), new("/app/x?q=%20"), new("/both"),
            new("/", Method: "HEAD"),
        ];

        var (nginx, gateway) = await run.CompareAsync(async send =>
        {
            foreach (var r in requests)
            {
                await send(r);
            }
        }, after: async proxy =>
        {
            var probe = await LinesAsync(Path.Combine(proxy.Prefix, "logs", "probe.log"), 4);
            var combined = await LinesAsync(Path.Combine(proxy.Prefix, "logs", "combined.log"), 1);
            // combined has the time: keep what is before and after it.
            return probe.Concat(combined.Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"\[[^\]]+\]", "[time]")));
        });

        DifferentialRun.AssertSame(nginx, gateway);
    }

    /// <summary>The log's lines once it has <paramref name="count"/> (both write after the response; give them a moment).</summary>
    private static async Task<string[]> LinesAsync(string path, int count)
    {
        for (var i = 0; i < 100; i++)
        {
            if (File.Exists(path) && (await File.ReadAllLinesAsync(path)).Length >= count)
            {
                break;
            }

            await Task.Delay(50);
        }

        return File.Exists(path) ? await File.ReadAllLinesAsync(path) : ["(no file)"];
    }

    [Fact]
    public async Task ErrorPage_OwnErrorsAndInterceptedAnswers_SameAsNginx()
    {
        await using var run = await DifferentialRun.StartAsync("error-page.conf", responseHeaders: ["Location", "X-Upstream-Status"],
            backendHeaders: ["Host"]);
        var (nginx, gateway) = await run.CompareAsync(async send =>
        {
            foreach (var target in new[]
            {
                "/intercepted/a", "/not-intercepted/b", "/dead/c?q=1", "/dead-200/d", "/dead-redirect/e", "/dead-plain/f", "/gone",
                "/teapot", "/not-found",
            })
            {
                await send(new ProbeRequest(target));
            }

            await send(new ProbeRequest("/intercepted/head", Method: "HEAD"));
            await send(new ProbeRequest("/dead-200/delete", Method: "DELETE"));
        }, reset: () => run.Backend("b1").Status = 503);

        DifferentialRun.AssertSame(nginx, gateway);
    }

    [Fact]
    public async Task Static_RootIndexTypesAndErrors_SameAsNginx()
    {
        // The site: a folder both proxies can read (nginx's worker may run as nobody).
        var root = Directory.CreateTempSubdirectory("nginx-static-");
        try
        {
            var files = new Dictionary<string, string>
            {
                ["index.html"] = "<p>home</p>\n", ["style.css"] = "p { color: red }\n", ["data.json"] = "[1, 2]\n", ["notes.txt"] = "plain notes\n",
                ["docs/start.html"] = "<p>start</p>\n", ["docs/index.html"] = "<p>docs index</p>\n", ["sub/index.html"] = "<p>sub</p>\n",
                ["missing.html"] = "<p>custom missing</p>\n", ["docs/other-root/page.html"] = "<p>other root</p>\n",
            };
            foreach (var (name, text) in files)
            {
                var path = Path.Combine(root.FullName, name);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await File.WriteAllTextAsync(path, text);
            }

            Directory.CreateDirectory(Path.Combine(root.FullName, "empty"));
            foreach (var entry in Directory.EnumerateFileSystemEntries(root.FullName, "*", SearchOption.AllDirectories).Append(root.FullName))
            {
                if (!OperatingSystem.IsWindows()) // nginx runs here on Linux only
                {
                    File.SetUnixFileMode(entry, Directory.Exists(entry) ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100);
                }
            }

            await using var run = await DifferentialRun.StartAsync("static.conf",
                responseHeaders: ["Content-Type", "Location", "ETag", "Last-Modified", "Accept-Ranges", "X-Static"]);
            run.Replace("/srv/www", root.FullName);
            await run.AssertSameAsync(
                new ProbeRequest("/"), new ProbeRequest("/index.html"), new ProbeRequest("/style.css"), new ProbeRequest("/data.json"),
                new ProbeRequest("/notes.txt"), new ProbeRequest("/docs/"), new ProbeRequest("/empty/"), new ProbeRequest("/nothing/"),
                new ProbeRequest("/sub"), new ProbeRequest("/sub?x=1"), new ProbeRequest("/sub/"), new ProbeRequest("/nope.html"),
                new ProbeRequest("/style.css", Method: "HEAD"), new ProbeRequest("/style.css", Method: "POST", Body: "x"),
                new ProbeRequest("/index.html", Method: "DELETE"), new ProbeRequest("/custom-404/x"), new ProbeRequest("/other-root/page.html"));
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
