#!/usr/bin/env escript
%%! -sname hotcode_bench_a -setcookie hotcode_bench
%% Distributed Erlang side of the remote messaging benchmark (cluster.bundle ClusterBench): two nodes on this
%% machine (this one and a peer started with peer:start_link), one-way messages/s and ping-pong round trips/s.
%% Usage: escript bench/erlang/dist.escript [OneWay] [PingPong]
-mode(compile).

main(Args) ->
    [OneWay, Rounds] = case Args of
        [A, B] -> [list_to_integer(A), list_to_integer(B)];
        _ -> [1000000, 50000]
    end,
    {ok, _Peer, Node} = peer:start_link(#{name => hotcode_bench_b, args => ["-setcookie", "hotcode_bench"]}),
    load_on(Node),
    [oneway(Node, N, R) || {N, R} <- [{OneWay div 10, 0}, {OneWay, 1}]],
    [pingpong(Node, N, R) || {N, R} <- [{Rounds div 10, 0}, {Rounds, 1}]],
    ok.

%% The peer's processes run compiled code: the module below, compiled here and loaded there.
load_on(Node) ->
    Src = "-module(hotcode_bench_peer).\n-export([sink/2, echo/0]).\n"
          "sink(0, From) -> From ! done;\nsink(N, From) -> receive _ -> sink(N - 1, From) end.\n"
          "echo() -> receive {P, M} -> P ! M, echo() end.\n",
    File = filename:join("/tmp", "hotcode_bench_peer.erl"),
    ok = file:write_file(File, Src),
    {ok, Mod, Bin} = compile:file(File, [binary]),
    {module, Mod} = rpc:call(Node, code, load_binary, [Mod, File, Bin]).

oneway(Node, N, Report) ->
    Sink = spawn(Node, hotcode_bench_peer, sink, [N, self()]),
    T0 = erlang:monotonic_time(microsecond),
    send_n(Sink, 0, N),
    receive done -> ok end,
    S = (erlang:monotonic_time(microsecond) - T0) / 1.0e6,
    Report == 1 andalso io:format("erlang remote one-way: ~b messages in ~.3f s = ~b msg/s~n", [N, S, round(N / S)]).

send_n(_, N, N) -> ok;
send_n(P, I, N) -> P ! {msg, I}, send_n(P, I + 1, N).

pingpong(Node, N, Report) ->
    Echo = spawn(Node, hotcode_bench_peer, echo, []),
    T0 = erlang:monotonic_time(microsecond),
    ping(Echo, 0, N),
    S = (erlang:monotonic_time(microsecond) - T0) / 1.0e6,
    exit(Echo, kill),
    Report == 1 andalso io:format("erlang remote ping-pong: ~b round trips in ~.3f s = ~b round trips/s~n", [N, S, round(N / S)]).

ping(_, N, N) -> ok;
ping(P, I, N) -> P ! {self(), I}, receive I -> ping(P, I + 1, N) end.
