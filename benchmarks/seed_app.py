#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""The seed tutorial's pipeline, as a baseline to measure greeter against.

output filter -> auth filter -> Routes Router -> Resource -> controller,
all on webob, as the tutorial builds it (without printing the token).
"""

import routes
import routes.middleware
import webob
import webob.dec
import webob.exc


class Middleware:
    def __init__(self, application):
        self.application = application

    def process_request(self, req):
        return None

    def process_response(self, response):
        return response

    @webob.dec.wsgify
    def __call__(self, req):
        response = self.process_request(req)
        if response:
            return response
        response = req.get_response(self.application)
        return self.process_response(response)


class Output(Middleware):
    def process_request(self, req):
        req.headers.get("X-Auth-Token")  # the seed printed it here


class Auth(Middleware):
    def process_request(self, req):
        if req.headers.get("X-Auth-Token") != "open-sesame":
            return webob.exc.HTTPForbidden()


class Controller:
    def __init__(self, name, greeting):
        self.name, self.greeting = name, greeting

    def hello(self, req):
        return f"Hello, {self.greeting}, {self.name} !!\n"

    def goodbye(self, req):
        return f"Good Bye, {self.greeting}, {self.name} !!\n"


class Resource:
    def __init__(self, controller):
        self.controller = controller

    @webob.dec.wsgify
    def __call__(self, req):
        action = req.environ["wsgiorg.routing_args"][1]["action"]
        return webob.Response(getattr(self.controller, action)(req))


class Router:
    def __init__(self, mapper):
        self._router = routes.middleware.RoutesMiddleware(self._dispatch,
                                                          mapper)

    @webob.dec.wsgify
    def __call__(self, req):
        return self._router

    @staticmethod
    @webob.dec.wsgify
    def _dispatch(req):
        match = req.environ["wsgiorg.routing_args"][1]
        if not match:
            return webob.exc.HTTPNotFound()
        return match["controller"]


def build():
    mapper = routes.Mapper()
    resource = Resource(Controller("Phred", "Wilkommen"))
    with mapper.submapper(controller=resource,
                          path_prefix="/greeting") as m:
        m.connect("/hello", action="hello", conditions={"method": "GET"})
        m.connect("/goodbye", action="goodbye", conditions={"method": "GET"})
    return Output(Auth(Router(mapper)))


application = build()
