#!/usr/bin/env escript
%% -*- erlang -*-
%% Erlang/OTP reference for Hotcode's servers benchmark (bench/workloads ServersBench.java): 10,000 gen_servers
%% upgraded with a state migration the way OTP's release_handler does a soft upgrade of gen_servers:
%% sys:suspend every server, load the new module, sys:change_code every server (its code_change/3 migrates the
%% state), sys:resume every server; each step goes over the servers one by one, as release_handler does.
%% The state changes shape as the Java records do: v1 {state, Id, Calls}, v2 {state, Id, Calls, Upgrades}; rounds
%% alternate v1 -> v2 -> v1 (each way is a migration). Then Clients processes make back-to-back
%% gen_server:call(Server, inc) to random servers before, during and after an upgrade; every call's latency is kept.
%%
%% Usage: escript servers.escript [Rounds] [N] [Clients]    (defaults 5 10000 32; plus 1 untimed warm-up round)
%% Output: RESULT erlang <name> median= min= max= unit= runs=[..], the names bench/summarize.py reads.
%% OTP has no automatic all-or-nothing rollback of code_change across servers: no rollback part here.
-mode(compile).

main(Args) ->
    Defaults = [5, 10000, 32],
    [Rounds, N, Clients] = [list_to_integer(A) || A <- Args] ++ lists:nthtail(length(Args), Defaults),
    io:format("# erlang OTP ~s erts ~s schedulers=~p servers: rounds=~p n=~p clients=~p~n",
              [erlang:system_info(otp_release), erlang:system_info(version),
               erlang:system_info(schedulers_online), Rounds, N, Clients]),
    Dir = filename:join("/tmp", "servers_bench_" ++ os:getpid()),
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    Bins = {beam(Dir, 1), beam(Dir, 2)},
    {module, bsrv} = code:load_binary(bsrv, "bsrv.beam", element(1, Bins)),
    T0 = now_ns(),
    Ps = [begin {ok, P} = gen_server:start(bsrv, I, []), P end || I <- lists:seq(1, N)],
    io:format("RESULT erlang ~-40s started=~p in_s=~s~n", [servers_start, N, fmt((now_ns() - T0) / 1.0e9)]),
    ok = check(Ps, 1),
    %% upgrade rounds, no load
    {Ups, V1} = rounds(Rounds, 1, fun(V) -> upgrade(Ps, Bins, V) end),
    Timed = lists:nthtail(1, Ups),
    [{_, _, _, _, _, Cold} | _] = Ups,
    io:format("RESULT erlang ~-40s warm-up round 1: total_ms=~s~n", [servers_cold_upgrade, fmt(Cold / 1.0e6)]),
    report("servers_suspend_change_resume_10k_ms", "ms", [T / 1.0e6 || {_, _, _, _, _, T} <- Timed]),
    report("servers_suspend_change_10k_ms", "ms", [(S + L + C) / 1.0e6 || {S, L, C, _, _, _} <- Timed]),
    report("servers_resume_10k_ms", "ms", [R / 1.0e6 || {_, _, _, R, _, _} <- Timed]),
    report("servers_suspend_only_10k_ms", "ms", [S / 1.0e6 || {S, _, _, _, _, _} <- Timed]),
    report("servers_load_binary_ms", "ms", [L / 1.0e6 || {_, L, _, _, _, _} <- Timed]),
    report("servers_change_code_10k_ms", "ms", [C / 1.0e6 || {_, _, C, _, _, _} <- Timed]),
    %% latency rounds
    {Lats, _} = rounds(Rounds, V1, fun(V) -> latency(Ps, Bins, V, Clients) end),
    L = lists:nthtail(1, Lats),
    report("servers_lat_before_p50_us", "us", [B50 || {B50, _, _, _, _, _, _} <- L]),
    report("servers_lat_before_p99_us", "us", [B99 || {_, B99, _, _, _, _, _} <- L]),
    report("servers_lat_before_max_us", "us", [BM || {_, _, BM, _, _, _, _} <- L]),
    report("servers_lat_during_p99_us", "us", [D99 || {_, _, _, D99, _, _, _} <- L]),
    report("servers_lat_during_max_us", "us", [DM || {_, _, _, _, DM, _, _} <- L]),
    report("servers_lat_during_calls", "calls", [DN || {_, _, _, _, _, DN, _} <- L]),
    report("servers_lat_upgrade_ms", "ms", [U / 1.0e6 || {_, _, _, _, _, _, U} <- L]),
    [gen_server:stop(P) || P <- Ps],
    file:del_dir_r(Dir),
    halt(0).

%% 1 warm-up + Rounds rounds, alternating the version; returns {[Result], version now loaded}
rounds(Rounds, V0, F) ->
    lists:mapfoldl(fun(_, V) -> Next = 3 - V, {F(Next), Next} end, V0, lists:seq(0, Rounds)).

%% ---------------------------------------------------------------- the module, two versions
src(1) ->
    "-module(bsrv).\n-behaviour(gen_server).\n-vsn(1).\n"
    "-export([init/1, handle_call/3, handle_cast/2, code_change/3]).\n"
    "init(Id) -> {ok, {state, Id, 0}}.\n"
    "handle_call(inc, _From, {state, Id, C}) -> {reply, C + 1, {state, Id, C + 1}};\n"
    "handle_call(get, _From, {state, Id, C} = S) -> {reply, {1, Id, C, 0}, S}.\n"
    "handle_cast(_, S) -> {noreply, S}.\n"
    "code_change(_OldVsn, {state, Id, C, _Upgrades}, _Extra) -> {ok, {state, Id, C}}.\n";
src(2) ->
    "-module(bsrv).\n-behaviour(gen_server).\n-vsn(2).\n"
    "-export([init/1, handle_call/3, handle_cast/2, code_change/3]).\n"
    "init(Id) -> {ok, {state, Id, 0, 0}}.\n"
    "handle_call(inc, _From, {state, Id, C, U}) -> {reply, C + 1, {state, Id, C + 1, U}};\n"
    "handle_call(get, _From, {state, Id, C, U} = S) -> {reply, {2, Id, C, U}, S}.\n"
    "handle_cast(_, S) -> {noreply, S}.\n"
    "code_change(_OldVsn, {state, Id, C}, _Extra) -> {ok, {state, Id, C, 1}}.\n".

beam(Dir, V) ->
    Src = filename:join(Dir, "bsrv.erl"),
    ok = file:write_file(Src, src(V)),
    {ok, bsrv, Bin} = compile:file(Src, [binary, report]),
    Bin.

%% ---------------------------------------------------------------- one upgrade, release_handler style
%% returns {SuspendNs, LoadNs, ChangeNs, ResumeNs, Vsn, TotalNs}
upgrade(Ps, Bins, V) ->
    R = upgrade_nocheck(Ps, Bins, V),
    ok = check(Ps, V),
    R.

check(Ps, V) ->
    Up = V - 1,
    Bad = [I || {I, P} <- lists:zip(lists:seq(1, length(Ps)), Ps),
                case gen_server:call(P, get) of {V, I, _, Up} -> false; _ -> true end],
    case Bad of [] -> ok; _ -> error({servers_not_on_version, V, length(Bad), lists:sublist(Bad, 5)}) end.

%% ---------------------------------------------------------------- call latency across an upgrade
latency(Ps, Bins, V, NClients) ->
    Arr = list_to_tuple(Ps),
    Self = self(),
    C0 = now_ns(),
    Cs = [spawn_link(fun() -> client(Arr, Self, []) end) || _ <- lists:seq(1, NClients)],
    receive after 300 -> ok end,
    {U0, U1} = upgrade_timed(Ps, Bins, V),
    receive after 300 -> ok end,
    [C ! stop || C <- Cs],
    Calls = lists:append([receive {calls, C, L} -> L end || C <- Cs]),
    Before = lists:sort([(E - S) / 1000 || {S, E} <- Calls, S >= C0 + 50000000, E < U0]),
    During = lists:sort([(E - S) / 1000 || {S, E} <- Calls, S < U1, E > U0]),
    {pct(Before, 0.5), pct(Before, 0.99), lists:last(Before), pct(During, 0.99), lists:last(During),
     length(During), U1 - U0}.

%% the upgrade's window {start, end}; the check runs after it, outside the window
upgrade_timed(Ps, Bins, V) ->
    U0 = now_ns(),
    _ = upgrade_nocheck(Ps, Bins, V),
    U1 = now_ns(),
    ok = check(Ps, V),
    {U0, U1}.

upgrade_nocheck(Ps, Bins, V) ->
    true = code:soft_purge(bsrv) orelse error(old_code_in_use),
    Bin = element(V, Bins),
    T0 = now_ns(),
    [ok = sys:suspend(P) || P <- Ps],
    T1 = now_ns(),
    {module, bsrv} = code:load_binary(bsrv, "bsrv.beam", Bin),
    T2 = now_ns(),
    [ok = sys:change_code(P, bsrv, 3 - V, []) || P <- Ps],
    T3 = now_ns(),
    [ok = sys:resume(P) || P <- Ps],
    T4 = now_ns(),
    {T1 - T0, T2 - T1, T3 - T2, T4 - T3, V, T4 - T0}.

client(Arr, Parent, Acc) ->
    receive stop -> Parent ! {calls, self(), Acc}
    after 0 ->
        P = element(rand:uniform(tuple_size(Arr)), Arr),
        S = now_ns(),
        _ = gen_server:call(P, inc),
        client(Arr, Parent, [{S, now_ns()} | Acc])
    end.

%% ---------------------------------------------------------------- helpers
now_ns() -> erlang:monotonic_time(nanosecond).

pct([], _) -> 0;
pct(Sorted, Q) -> lists:nth(max(1, min(length(Sorted), ceil(Q * length(Sorted)))), Sorted).

report(Name, Unit, Vals) ->
    S = lists:sort(Vals),
    N = length(S),
    Med = case N rem 2 of 1 -> lists:nth(N div 2 + 1, S);
                          0 -> (lists:nth(N div 2, S) + lists:nth(N div 2 + 1, S)) / 2 end,
    io:format("RESULT erlang ~-40s median=~s min=~s max=~s unit=~s runs=[~s]~n",
              [Name, fmt(Med), fmt(hd(S)), fmt(lists:last(S)), Unit,
               lists:join(",", [fmt(X) || X <- Vals])]).

fmt(V) when is_integer(V) -> integer_to_list(V);
fmt(V) when abs(V) >= 1000 -> integer_to_list(round(V));
fmt(V) -> float_to_list(V, [{decimals, 4}, compact]).
