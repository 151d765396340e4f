namespace Gateway.Config.Nginx;

/// <summary>
/// Every directive the translation knows: where it may appear, how many arguments it takes, whether it has a block,
/// and whether it means something here or is accepted and ignored (it changes nothing a proxy in front of model
/// servers does differently: worker tuning, buffers, temp paths, ...). nginx directives that would change behaviour
/// but are not translated are refused with a clear message rather than silently dropped; any other name is nginx's
/// <c>unknown directive</c>.
/// </summary>
public static class NginxDirectiveTable
{
    private const NginxContext H = NginxContext.HttpAny;
    private const NginxContext Ifs = NginxContext.ServerIf | NginxContext.LocationIf;

    public sealed record Spec(NginxContext Where, int Min, int Max, bool Block, bool Ignored);

    private static readonly Dictionary<string, Spec> s_specs = Build();

    /// <summary>nginx directives that are not translated (yet): refused by name.</summary>
    public static readonly IReadOnlySet<string> Unsupported = new HashSet<string>(StringComparer.Ordinal)
    {
        "rewrite", "try_files", "alias", "autoindex", "limit_req_dry_run", "limit_conn_dry_run", "auth_basic",
        "auth_basic_user_file", "auth_request", "allow", "deny", "proxy_cache", "proxy_cache_path", "proxy_cache_valid",
        "proxy_cache_key", "map", "geo", "split_clients", "proxy_hide_header",
        "proxy_pass_header", "proxy_redirect", "sub_filter", "expires", "internal", "limit_except", "fastcgi_pass", "uwsgi_pass",
        "grpc_pass", "scgi_pass", "memcached_pass", "proxy_method", "proxy_set_body", "proxy_pass_request_headers",
        "proxy_pass_request_body", "proxy_bind", "proxy_ssl_crl", "proxy_ssl_password_file", "proxy_ssl_conf_command", "proxy_cookie_domain", "proxy_cookie_path", "stream", "mail",
        "echo", "ssl", "ssl_client_certificate", "ssl_verify_client", "ssl_verify_depth", "ssl_crl", "ssl_password_file", "ssl_conf_command",
        "ssl_reject_handshake",
    };

    public static Spec? Find(string name) => s_specs.GetValueOrDefault(name);

    public static IEnumerable<string> IgnoredNames => s_specs.Where(p => p.Value.Ignored).Select(p => p.Key).Order(StringComparer.Ordinal);

    public static IEnumerable<string> SupportedNames => s_specs.Where(p => !p.Value.Ignored).Select(p => p.Key).Order(StringComparer.Ordinal);

    /// <summary>Checks every directive below <paramref name="directives"/> (in <paramref name="context"/>); throws nginx's message.</summary>
    public static void Validate(IEnumerable<NginxDirective> directives, NginxContext context)
    {
        foreach (var d in directives)
        {
            var spec = Find(d.Name);
            if (d.Name == "server" && context == NginxContext.Upstream)
            {
                spec = new Spec(NginxContext.Upstream, 1, -1, false, false);
            }

            if (spec is null)
            {
                throw NginxConfigException.At(d, Unsupported.Contains(d.Name)
                    ? $"\"{d.Name}\" directive is not supported by lbproxy-nginx (see nginx-compat/README.md)"
                    : $"unknown directive \"{d.Name}\"");
            }

            if ((spec.Where & context) == 0)
            {
                throw NginxConfigException.At(d, $"\"{d.Name}\" directive is not allowed here");
            }

            if (spec.Block && d.Block is null)
            {
                throw NginxConfigException.At(d, $"directive \"{d.Name}\" has no opening \"{{\"");
            }

            if (!spec.Block && d.Block is not null)
            {
                throw NginxConfigException.At(d, $"directive \"{d.Name}\" is not terminated by \";\"");
            }

            if (d.Args.Count < spec.Min || (spec.Max >= 0 && d.Args.Count > spec.Max))
            {
                throw NginxConfigException.At(d, $"invalid number of arguments in \"{d.Name}\" directive");
            }

            if (d.Block is not null && d.Name != "types")
            {
                Validate(d.Block, Inner(d.Name, context));
            }
        }
    }

    private static NginxContext Inner(string name, NginxContext outer) => name switch
    {
        "events" => NginxContext.Events,
        "http" => NginxContext.Http,
        "server" => NginxContext.Server,
        "upstream" => NginxContext.Upstream,
        "location" => NginxContext.Location,
        "if" => outer == NginxContext.Server ? NginxContext.ServerIf : NginxContext.LocationIf,
        _ => NginxContext.None,
    };

    private static Dictionary<string, Spec> Build()
    {
        var specs = new Dictionary<string, Spec>(StringComparer.Ordinal);
        void Add(string names, NginxContext where, int min, int max, bool block = false, bool ignored = false)
        {
            foreach (var name in names.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                specs[name] = new Spec(where, min, max, block, ignored);
            }
        }

        // Structure and what is translated.
        Add("events", NginxContext.Main, 0, 0, block: true);
        Add("http", NginxContext.Main, 0, 0, block: true);
        Add("server", NginxContext.Http, 0, 0, block: true);
        Add("upstream", NginxContext.Http, 1, 1, block: true);
        Add("location", NginxContext.Server | NginxContext.Location, 1, 2, block: true);
        Add("if", NginxContext.Server | NginxContext.Location, 1, -1, block: true);
        Add("listen", NginxContext.Server, 1, -1);
        Add("server_name", NginxContext.Server, 1, -1);
        Add("proxy_pass", NginxContext.Location | NginxContext.LocationIf, 1, 1);
        Add("proxy_set_header", H, 2, 2);
        Add("proxy_http_version", H, 1, 1);
        Add("proxy_connect_timeout proxy_read_timeout proxy_send_timeout send_timeout", H, 1, 1);
        Add("proxy_next_upstream", H, 1, -1);
        Add("proxy_next_upstream_tries proxy_next_upstream_timeout", H, 1, 1);
        Add("return", NginxContext.Server | NginxContext.Location | Ifs, 1, 2);
        Add("add_header", H | NginxContext.LocationIf, 2, 3);
        Add("set", NginxContext.Server | NginxContext.Location | Ifs, 2, 2);
        Add("default_type", H, 1, 1);
        Add("error_page", H | NginxContext.LocationIf, 2, -1);
        Add("root", H | NginxContext.LocationIf, 1, 1);
        Add("index", H, 1, -1);
        Add("proxy_intercept_errors", H, 1, 1);
        Add("set_real_ip_from real_ip_header real_ip_recursive", NginxContext.Http | NginxContext.Server, 1, 1);
        Add("least_conn ip_hash", NginxContext.Upstream, 0, 0);
        Add("hash", NginxContext.Upstream, 1, 2);
        Add("random", NginxContext.Upstream, 0, 2);
        Add("ssl_certificate ssl_certificate_key http2", NginxContext.Http | NginxContext.Server, 1, 1);
        Add("ssl_protocols", NginxContext.Http | NginxContext.Server, 1, -1);
        Add("proxy_ssl_verify proxy_ssl_trusted_certificate proxy_ssl_certificate proxy_ssl_certificate_key proxy_ssl_server_name proxy_ssl_name "
            + "proxy_ssl_verify_depth", H, 1, 1);
        Add("proxy_ssl_protocols proxy_ssl_ciphers", H, 1, -1, ignored: true);
        Add("proxy_ssl_session_reuse", H, 1, 1, ignored: true);
        Add("limit_req_zone", NginxContext.Http, 3, 4);
        Add("limit_conn_zone", NginxContext.Http, 2, 2);
        Add("limit_req", H, 1, 3);
        Add("limit_conn", H, 2, 2);
        Add("limit_req_status limit_conn_status limit_req_log_level limit_conn_log_level", H, 1, 1);
        Add("pid", NginxContext.Main, 1, 1);
        Add("error_log", NginxContext.Main | H, 1, -1);

        // Accepted and ignored: nothing the gateway does differs because of them.
        Add("keepalive", NginxContext.Upstream, 1, 1); // without it, upstream connections are closed after each response
        Add("keepalive_requests keepalive_timeout keepalive_time", NginxContext.Upstream, 1, 1, ignored: true);
        Add("zone", NginxContext.Upstream, 1, 2, ignored: true);
        Add("user", NginxContext.Main, 1, 2, ignored: true);
        Add("worker_processes worker_rlimit_nofile daemon master_process pcre_jit timer_resolution worker_shutdown_timeout "
            + "working_directory lock_file worker_priority env load_module thread_pool", NginxContext.Main, 1, 2, ignored: true);
        Add("worker_cpu_affinity", NginxContext.Main, 1, -1, ignored: true);
        Add("worker_connections use multi_accept accept_mutex accept_mutex_delay", NginxContext.Events, 1, 1, ignored: true);
        Add("types", H, 0, 0, block: true, ignored: true);
        Add("sendfile tcp_nopush tcp_nodelay server_tokens types_hash_max_size types_hash_bucket_size server_names_hash_bucket_size "
            + "server_names_hash_max_size variables_hash_max_size variables_hash_bucket_size map_hash_max_size map_hash_bucket_size "
            + "client_body_buffer_size client_header_buffer_size client_body_timeout client_header_timeout client_max_body_size "
            + "proxy_buffering proxy_buffer_size proxy_busy_buffers_size proxy_max_temp_file_size proxy_temp_file_write_size "
            + "proxy_request_buffering proxy_ignore_client_abort proxy_socket_keepalive reset_timedout_connection charset "
            + "underscores_in_headers ignore_invalid_headers merge_slashes absolute_redirect port_in_redirect server_name_in_redirect "
            + "chunked_transfer_encoding postpone_output aio directio etag msie_padding log_not_found log_subrequest "
            + "lingering_close lingering_time lingering_timeout resolver_timeout keepalive_requests keepalive_time send_lowat "
            + "ssl_dhparam ssl_ecdh_curve ssl_stapling ssl_stapling_verify ssl_trusted_certificate ssl_session_ticket_key ssl_buffer_size "
            + "ssl_early_data ssl_prefer_server_ciphers ssl_session_cache ssl_session_timeout ssl_ciphers ssl_session_tickets open_file_cache_valid "
            + "open_file_cache_min_uses open_file_cache_errors gzip_vary gzip_comp_level gzip_min_length gzip_http_version "
            + "gzip gzip_buffers gzip_disable gzip_proxied gzip_types", H, 1, -1, ignored: true);
        Add("keepalive_timeout large_client_header_buffers proxy_buffers output_buffers open_file_cache resolver "
            + "open_log_file_cache", H, 1, -1, ignored: true);
        Add("access_log", H, 1, -1);
        Add("log_format", NginxContext.Http, 2, -1);
        Add("proxy_temp_path client_body_temp_path fastcgi_temp_path uwsgi_temp_path scgi_temp_path", H, 1, 4, ignored: true);
        return specs;
    }
}
