using Gateway.Config.Nginx;

namespace Gateway.Tests.NginxCompat;

public sealed class NginxParserTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nginx-parse-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static IReadOnlyList<NginxDirective> Parse(string text) => NginxParser.ParseText(text, "/t/nginx.conf", "/t");

    [Fact]
    public void ParseText_BlocksAndArguments_KeepsStructureAndLines()
    {
        var top = Parse("events {}\nhttp {\n  upstream u { least_conn; server 127.0.0.1:1 weight=2; }\n  server { listen 80; }\n}\n");

        Assert.Equal(["events", "http"], top.Select(d => d.Name));
        var http = top[1];
        Assert.Equal(2, http.Line);
        var upstream = http.Child("upstream")!;
        Assert.Equal(["u"], upstream.Args);
        Assert.Equal(3, upstream.Line);
        Assert.Equal(["127.0.0.1:1", "weight=2"], upstream.Child("server")!.Args);
        Assert.Equal(["80"], http.Child("server")!.Child("listen")!.Args);
    }

    [Fact]
    public void ParseText_QuotesAndEscapes_ResolvedAsNginxDoes()
    {
        var d = Parse("return 200 \"healthy\\n\" 'it\\'s' a\\ b \"q\\\"x\" ~^/a\\.b$;")[0];

        Assert.Equal(["200", "healthy\n", "it's", "a\\ b", "q\"x", "~^/a\\.b$"], d.Args);
    }

    [Fact]
    public void ParseText_VariableWithBraces_IsNotABlock()
    {
        var d = Parse("proxy_set_header X-A ${host}x$uri;")[0];

        Assert.Equal(["X-A", "${host}x$uri"], d.Args);
        Assert.Null(d.Block);
    }

    [Fact]
    public void ParseText_CommentsAnywhere_Ignored()
    {
        var top = Parse("# top\nworker_processes 1; # trailing\nevents { # in block\n}\nhttp{}");

        Assert.Equal(["worker_processes", "events", "http"], top.Select(d => d.Name));
        Assert.Equal(["1"], top[0].Args);
    }

    [Theory]
    [InlineData("http {\n}\n}", "unexpected \"}\" in /t/nginx.conf:3")]
    [InlineData("http {\n server {\n", "unexpected end of file, expecting \"}\" in /t/nginx.conf:3")]
    [InlineData("worker_processes 1", "unexpected end of file, expecting \";\" or \"}\" in /t/nginx.conf:1")]
    [InlineData("http {\n  ;\n}", "unexpected \";\" in /t/nginx.conf:2")]
    [InlineData("return 200 \"a\"b;", "unexpected \"b\" in /t/nginx.conf:1")]
    [InlineData("http { listen 80 }", "unexpected \"}\" in /t/nginx.conf:1")]
    public void ParseText_BadSyntax_ReportsLikeNginx(string text, string message)
    {
        var ex = Assert.Throws<NginxConfigException>(() => Parse(text));

        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public void ParseFile_IncludeGlob_IncludesMatchesInNameOrderRelativeToConfDir()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "conf.d"));
        File.WriteAllText(Path.Combine(_dir, "conf.d", "b.conf"), "server { listen 2; }\n");
        File.WriteAllText(Path.Combine(_dir, "conf.d", "a.conf"), "server { listen 1; }\n");
        File.WriteAllText(Path.Combine(_dir, "conf.d", "skip.txt"), "bogus");
        File.WriteAllText(Path.Combine(_dir, "nginx.conf"), "http {\n include conf.d/*.conf;\n include none/*.conf;\n}\n");

        var http = NginxParser.ParseFile(Path.Combine(_dir, "nginx.conf"))[0];

        var servers = http.Children("server").ToList();
        Assert.Equal(["1", "2"], servers.Select(s => s.Child("listen")!.Args[0]));
        Assert.EndsWith("a.conf", servers[0].File, StringComparison.Ordinal);
        Assert.Equal(1, servers[0].Line);
    }

    [Fact]
    public void ParseFile_IncludeMissingPlainFile_FailsWithOpenError()
    {
        var conf = Path.Combine(_dir, "nginx.conf");
        File.WriteAllText(conf, "http {\n  include missing.conf;\n}\n");

        var ex = Assert.Throws<NginxConfigException>(() => NginxParser.ParseFile(conf));

        Assert.Equal($"open() \"{Path.Combine(_dir, "missing.conf")}\" failed (2: No such file or directory) in {conf}:2", ex.Message);
    }

    [Fact]
    public void ParseFile_ErrorInIncludedFile_NamesThatFileAndLine()
    {
        File.WriteAllText(Path.Combine(_dir, "part.conf"), "\n\nserver {\n");
        var conf = Path.Combine(_dir, "nginx.conf");
        File.WriteAllText(conf, "http { include part.conf; }\n");

        var ex = Assert.Throws<NginxConfigException>(() => NginxParser.ParseFile(conf));

        Assert.Equal($"unexpected end of file, expecting \"}}\" in {Path.Combine(_dir, "part.conf")}:4", ex.Message);
    }
}
