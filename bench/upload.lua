wrk.method = "POST"
wrk.body = '{"filename":"holiday-photo.jpg","contentType":"image/jpeg","size":123456}'
wrk.headers["Content-Type"] = "application/json"
