module thaw.dev/bench

go 1.19
