#!/usr/bin/env escript
%%! -kernel prevent_overlapping_partitions false
%% -*- erlang -*-
%% Distributed Erlang side of the coordinated-load benchmark (itest ClusterLoadBench, issue 15's third target: "a
%% coordinated load on 3 nodes with 3,000 servers each in at most 2x a single node's upgrade"). Three nodes on this
%% machine: this one (a) and two peers (b, c) started with peer:start_link; each runs N gen_servers of module ccell
%% with state {Id, Calls, Vsn}, whose code_change/3 keeps Id and Calls and writes the version it now runs (as
%% cstorm's Cell). Two versions of ccell are compiled here into beam files on disk; every upgrade goes to the other one.
%%
%% Each round, as ClusterLoadBench:
%%  - single: on node a alone, release_handler's steps for one module: sys:suspend each server, load the new object
%%    code (code:load_abs of the beam file, as each Hotcode node reads the jar), sys:change_code each server,
%%    sys:resume each server; timed around the whole;
%%  - cluster: the same on the 3 nodes with a barrier in between, as release_handler's sync_nodes: node a asks every
%%    node at once (itself included) to suspend + load, waits until all answered (the barrier), then asks every node
%%    at once to change_code + resume, and stops the clock when every node answered.
%% After each, untimed: every server on the nodes concerned is called and must answer the new version, then the old
%% code is purged (code:soft_purge), so no timed operation purges (as the Java bench refreshes untimed).
%% One warm-up round first; medians of the timed rounds, printed as RESULT lines like ClusterLoadBench's.
%%
%% Usage: escript bench/erlang/cluster_load.escript [Rounds] [Servers]    (defaults 5 3000)
%% OTP's release_handler itself is not used: it needs a release (boot script, relup) built on disk on every node;
%% its soft-upgrade steps for a gen_server module are the ones above (suspend, load, code_change, resume), and
%% sync_nodes is a barrier between them.
-mode(compile).

main(Args) ->
    Defaults = [5, 3000],
    [Rounds, N] = [list_to_integer(A) || A <- Args] ++ lists:nthtail(length(Args), Defaults),
    io:format("# erlang OTP ~s erts ~s schedulers=~p cluster load: rounds=~p servers per node=~p~n",
              [erlang:system_info(otp_release), erlang:system_info(version),
               erlang:system_info(schedulers_online), Rounds, N]),
    %% node names with this OS pid, so two runs on one host (a shared one) never meet
    Suffix = "_" ++ os:getpid(),
    {ok, _} = net_kernel:start([list_to_atom("hotcode_cload_a" ++ Suffix), shortnames]),
    true = erlang:set_cookie(node(), hotcode_cload),
    Dir = filename:join("/tmp", "cload_bench_" ++ os:getpid()),
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    [beam(Dir, V) || V <- [1, 2]],
    AgentBin = agent(Dir),
    Peers = [begin
                 {ok, Peer, Node} = peer:start_link(#{name => Name, args => ["-setcookie", "hotcode_cload",
                     "-kernel", "prevent_overlapping_partitions", "false"]}), % no 'global' warning when peers stop
                 {Peer, Node}
             end || Name <- [list_to_atom(N ++ Suffix) || N <- ["hotcode_cload_b", "hotcode_cload_c"]]],
    Nodes = [node() | [Node || {_, Node} <- Peers]],
    %% the agent (the steps below) and version 1 of ccell on every node, N servers each
    [{module, cload_agent} = rpc:call(Node, code, load_binary, [cload_agent, "cload_agent.beam", AgentBin])
     || Node <- Nodes],
    [ok = rpc:call(Node, cload_agent, start, [beam_path(Dir, 1), N]) || Node <- Nodes],
    [ok = rpc:call(Node, cload_agent, check, [1]) || Node <- Nodes],
    {_, V1} = round(Dir, Nodes, 1),
    io:format("erlang cluster load bench: warm-up done~n"),
    put(cpu, {[0, 0, 0], [0, 0, 0]}),
    {Results, _} = lists:mapfoldl(fun(R, V) ->
                                      {{S, C}, V2} = round(Dir, Nodes, V),
                                      io:format("erlang cluster load bench: round ~p: single ~s ms, cluster ~s ms~n",
                                                [R, fmt(S), fmt(C)]),
                                      {{S, C}, V2}
                                  end, V1, lists:seq(1, Rounds)),
    Singles = [S || {S, _} <- Results],
    Loads = [C || {_, C} <- Results],
    M1 = median(Singles),
    M3 = median(Loads),
    io:format("RESULT erlang_cload_single_node_~p_ms ~s [~s]~n", [N, fmt(M1), join(Singles)]),
    io:format("RESULT erlang_cload_3_nodes_~p_ms ~s [~s]~n", [N, fmt(M3), join(Loads)]),
    io:format("RESULT erlang_cload_ratio ~.2f (target <= 2.00)~n", [M3 / M1]),
    {CpuS, CpuC} = get(cpu),
    io:format("RESULT erlang_cload_single_cpu_ms_per_round ~s~n", [cpu_line(CpuS, Rounds)]),
    io:format("RESULT erlang_cload_3_nodes_cpu_ms_per_round ~s~n", [cpu_line(CpuC, Rounds)]),
    [peer:stop(Peer) || {Peer, _} <- Peers],
    file:del_dir_r(Dir),
    halt(0).

%% One round from version V: single on node a to the other version, then cluster to the version after that.
%% Returns {{SingleMs, ClusterMs}, the version every node runs now}.
round(Dir, [A | _] = Nodes, V) ->
    V2 = 3 - V,
    C0 = cpu(Nodes),
    T0 = now_ns(),
    ok = cload_agent:prepare(beam_path(Dir, V2)),
    ok = cload_agent:commit(V),
    S = (now_ns() - T0) / 1.0e6,
    add_cpu(1, C0, cpu(Nodes)),
    ok = cload_agent:check(V2),
    ok = cload_agent:purge(),
    %% b and c are still on V: bring them to V2 untimed, so the cluster round starts with every node alike
    [ok = rpc:call(Node, cload_agent, upgrade, [beam_path(Dir, V2), V]) || Node <- Nodes, Node =/= A],
    [ok = rpc:call(Node, cload_agent, check, [V2]) || Node <- Nodes, Node =/= A],
    [ok = rpc:call(Node, cload_agent, purge, []) || Node <- Nodes, Node =/= A],
    V3 = 3 - V2,
    C1 = cpu(Nodes),
    T1 = now_ns(),
    everywhere(Nodes, prepare, [beam_path(Dir, V3)]), % suspend + load on every node at once
    everywhere(Nodes, commit, [V2]),                  % the barrier passed: change_code + resume on every node
    C = (now_ns() - T1) / 1.0e6,
    add_cpu(2, C1, cpu(Nodes)),
    [ok = rpc:call(Node, cload_agent, check, [V3]) || Node <- Nodes],
    [ok = rpc:call(Node, cload_agent, purge, []) || Node <- Nodes],
    {{S, C}, V3}.

%% F on every node at once (this one included); returns when every node answered ok (a node that did not fails here).
everywhere(Nodes, F, Args) ->
    {Replies, Bad} = rpc:multicall(Nodes, cload_agent, F, Args, 60000),
    case {lists:usort(Replies), Bad} of
        {[ok], []} -> ok;
        _ -> error({cluster_step_failed, F, Replies, Bad})
    end.

%% ---------------------------------------------------------------- the module, two versions
src(V) ->
    "-module(ccell).\n-behaviour(gen_server).\n-vsn(" ++ integer_to_list(V) ++ ").\n"
    "-export([init/1, handle_call/3, handle_cast/2, code_change/3]).\n"
    "init(Id) -> {ok, {Id, 0, " ++ integer_to_list(V) ++ "}}.\n"
    "handle_call(get, _From, {Id, C, Vsn}) -> {reply, Vsn, {Id, C + 1, Vsn}}.\n"
    "handle_cast(_, S) -> {noreply, S}.\n"
    "code_change(_OldVsn, {Id, C, _}, _Extra) -> {ok, {Id, C, " ++ integer_to_list(V) ++ "}}.\n".

beam_path(Dir, V) -> filename:join([Dir, "v" ++ integer_to_list(V), "ccell"]).

%% ccell version V compiled into Dir/vV/ccell.beam (each node loads it from there, as each Hotcode node reads the jar)
beam(Dir, V) ->
    Src = filename:join(Dir, "ccell.erl"),
    ok = file:write_file(Src, src(V)),
    {ok, ccell, Bin} = compile:file(Src, [binary, report]),
    ok = filelib:ensure_dir(beam_path(Dir, V)),
    ok = file:write_file(beam_path(Dir, V) ++ ".beam", Bin).

%% ---------------------------------------------------------------- the steps on each node (module cload_agent)
%% The servers' pids are kept in a persistent_term on their node.
agent(Dir) ->
    Src = filename:join(Dir, "cload_agent.erl"),
    ok = file:write_file(Src,
        "-module(cload_agent).\n"
        "-export([start/2, prepare/1, commit/1, upgrade/2, check/1, purge/0]).\n"
        "start(Beam, N) ->\n"
        "    {module, ccell} = code:load_abs(Beam),\n"
        "    Ps = [begin {ok, P} = gen_server:start(ccell, I, []), P end || I <- lists:seq(1, N)],\n"
        "    persistent_term:put(cload_servers, Ps), ok.\n"
        "servers() -> persistent_term:get(cload_servers).\n"
        "%% release_handler's suspend, then load_object_code + the load itself\n"
        "prepare(Beam) ->\n"
        "    Ps = servers(),\n"
        "    [ok = sys:suspend(P) || P <- Ps],\n"
        "    {module, ccell} = code:load_abs(Beam), ok.\n"
        "%% release_handler's code_change, then resume\n"
        "commit(OldVsn) ->\n"
        "    Ps = servers(),\n"
        "    [ok = sys:change_code(P, ccell, OldVsn, []) || P <- Ps],\n"
        "    [ok = sys:resume(P) || P <- Ps], ok.\n"
        "upgrade(Beam, OldVsn) -> ok = prepare(Beam), commit(OldVsn).\n"
        "%% every server answers version V\n"
        "check(V) ->\n"
        "    Bad = [P || P <- servers(), gen_server:call(P, get) =/= V],\n"
        "    case Bad of [] -> ok; _ -> {not_on_version, node(), V, length(Bad)} end.\n"
        "purge() -> true = code:soft_purge(ccell), ok.\n"),
    {ok, cload_agent, Bin} = compile:file(Src, [binary, report]),
    Bin.

%% ---------------------------------------------------------------- helpers
%% CPU time of each node's emulator so far (all its schedulers), in ms: erlang:statistics(runtime)
cpu(Nodes) -> [element(1, rpc:call(Node, erlang, statistics, [runtime])) || Node <- Nodes].

%% adds a timed operation's CPU per node to the sums (1: single, 2: cluster); none before the timed rounds
add_cpu(K, Before, After) ->
    case get(cpu) of
        undefined -> ok;
        Sums -> put(cpu, setelement(K, Sums, [S + A - B || {S, B, A} <- lists:zip3(element(K, Sums), Before, After)]))
    end.

cpu_line(Sums, Rounds) ->
    PerRound = [S / Rounds || S <- Sums],
    lists:flatten([io_lib:format("~s=~s ", [N, fmt(X)]) || {N, X} <- lists:zip(["a", "b", "c"], PerRound)]
                  ++ io_lib:format("sum=~s", [fmt(lists:sum(PerRound))])).

now_ns() -> erlang:monotonic_time(nanosecond).

median(Vals) ->
    S = lists:sort(Vals),
    N = length(S),
    case N rem 2 of 1 -> lists:nth(N div 2 + 1, S);
                    0 -> (lists:nth(N div 2, S) + lists:nth(N div 2 + 1, S)) / 2 end.

join(Vals) -> lists:join(", ", [fmt(V) || V <- Vals]).

fmt(V) -> float_to_list(V / 1, [{decimals, 1}]).
