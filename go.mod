module github.com/codios/codios

go 1.26
